import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { FeatureSpec } from '../config/spec.ts';
import { UserError } from '../errors.ts';
import type { CategoricalColumn, Column, ColumnarDataset, NumericColumn } from './columnar.ts';
import { MISSING_CODE } from './columnar.ts';

/**
 * Loads tracked Parquet files straight into typed columns: numeric columns into one Float64Array
 * (NaN for null), categorical columns dictionary-encoded across all files. Column chunks are copied
 * as they are decoded, so no row objects are ever built (3 million rows load in seconds).
 */
export interface LoadedDataset {
  dataset: ColumnarDataset;
  /** The target as numbers: booleans as 0/1, numbers as they are; NaN where missing. */
  labels: Float64Array;
  /** Rows contributed by each file, in order (for time-ordered splits). */
  rowsPerFile: number[];
}

export async function loadDataset(
  paths: string[],
  features: FeatureSpec[],
  target: string,
): Promise<LoadedDataset> {
  const files = await Promise.all(paths.map(async (path) => ({ path, ...(await openParquet(path)) })));
  const numRows = files.reduce((sum, file) => sum + file.rows, 0);
  for (const file of files) {
    for (const name of [...features.map((f) => f.name), target]) {
      if (!file.columns.has(name)) {
        throw new UserError(`column "${name}" is not in the file (it has: ${[...file.columns].join(', ')})`, {
          file: file.path,
          fix: 'check the features and target in mlship.yaml against the data set',
        });
      }
    }
  }

  const builders = features.map((feature) =>
    feature.kind === 'numeric' ? new NumericBuilder(numRows) : new CategoricalBuilder(numRows),
  );
  const labels = new NumericBuilder(numRows);
  let offset = 0;
  for (const file of files) {
    const wanted = [...features.map((f) => f.name), target];
    await parquetRead({
      file: file.buffer,
      metadata: file.metadata,
      columns: wanted,
      compressors,
      onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
        const index = features.findIndex((f) => f.name === columnName);
        const builder = index >= 0 ? builders[index] : labels;
        builder.fill(
          offset + rowStart,
          columnData as ArrayLike<unknown>,
          rowEnd - rowStart,
          file.path,
          columnName,
        );
      },
    });
    offset += file.rows;
  }

  const columns: Record<string, Column> = {};
  features.forEach((feature, i) => {
    columns[feature.name] = builders[i].build();
  });
  return {
    dataset: { numRows, columns },
    labels: (labels.build() as NumericColumn).values,
    rowsPerFile: files.map((file) => file.rows),
  };
}

async function openParquet(path: string) {
  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  try {
    buffer = await asyncBufferFromFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError('data file not found', {
        file: path,
        fix: 'run `mlship data pull` (or `npm run ingest`)',
      });
    }
    throw error;
  }
  try {
    const metadata = await parquetMetadataAsync(buffer);
    const columns = new Set(metadata.schema.slice(1).map((element) => element.name));
    return { buffer, metadata, columns, rows: Number(metadata.num_rows) };
  } catch (error) {
    throw new UserError(`not a readable Parquet file: ${(error as Error).message}`, {
      file: path,
      fix: 'check the file is Parquet (re-pull it with `mlship data pull`)',
    });
  }
}

interface ColumnBuilder {
  fill(at: number, values: ArrayLike<unknown>, count: number, file: string, column: string): void;
  build(): Column;
}

class NumericBuilder implements ColumnBuilder {
  private readonly values: Float64Array;
  constructor(rows: number) {
    this.values = new Float64Array(rows);
  }
  fill(at: number, values: ArrayLike<unknown>, count: number, file: string, column: string): void {
    const out = this.values;
    for (let i = 0; i < count; i++) {
      const value = values[i];
      if (typeof value === 'number') out[at + i] = value;
      else if (typeof value === 'bigint') out[at + i] = Number(value);
      else if (typeof value === 'boolean') out[at + i] = value ? 1 : 0;
      else if (value === null || value === undefined) out[at + i] = Number.NaN;
      else {
        throw new UserError(`expected a number in row ${at + i}, found ${typeof value}`, {
          file,
          field: column,
          fix: 'declare the column as categorical in mlship.yaml, or fix the data',
        });
      }
    }
  }
  build(): Column {
    return { kind: 'numeric', values: this.values };
  }
}

class CategoricalBuilder implements ColumnBuilder {
  private readonly codes: Int32Array;
  private readonly index = new Map<string, number>();
  private readonly dictionary: string[] = [];
  constructor(rows: number) {
    this.codes = new Int32Array(rows);
  }
  fill(at: number, values: ArrayLike<unknown>, count: number): void {
    for (let i = 0; i < count; i++) {
      const value = values[i];
      if (value === null || value === undefined) {
        this.codes[at + i] = MISSING_CODE;
        continue;
      }
      const key = typeof value === 'string' ? value : String(value);
      let code = this.index.get(key);
      if (code === undefined) {
        code = this.dictionary.length;
        this.index.set(key, code);
        this.dictionary.push(key);
      }
      this.codes[at + i] = code;
    }
  }
  build(): CategoricalColumn {
    return { kind: 'categorical', codes: this.codes, dictionary: this.dictionary };
  }
}
