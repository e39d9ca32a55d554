import { LABEL_OUTPUT, PROBABILITIES_OUTPUT, VALUE_OUTPUT } from '../model/signature.ts';
import { InputError } from './errors.ts';

/**
 * What the service learns from the loaded model itself (onnxruntime's input and output metadata),
 * so it needs nothing but the environment manifest: one input per feature, `string` tensors for
 * categoricals and `float` for numerics, each [N, 1]; outputs `label` and `probabilities` [N, K]
 * (classification) or `value` (regression). Request schemas are derived from this.
 */
export interface ContractInput {
  name: string;
  type: 'string' | 'float';
}

export interface ModelContract {
  inputs: ContractInput[];
  task: 'classification' | 'regression';
  /** Type of the label output (classification). */
  labelType?: 'int64' | 'string';
}

/** Metadata of one model input or output as onnxruntime reports it. */
export interface ValueInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

export function contractFromMetadata(inputs: ValueInfo[], outputs: ValueInfo[]): ModelContract {
  const contractInputs: ContractInput[] = inputs.map((input) => {
    if (!input.isTensor || (input.type !== 'string' && input.type !== 'float32')) {
      throw new Error(
        `model input ${input.name} is ${input.type ?? 'not a tensor'}; mlship models take string or float tensors, one per feature`,
      );
    }
    return { name: input.name, type: input.type === 'string' ? 'string' : 'float' };
  });
  const names = new Set(outputs.map((o) => o.name));
  if (names.has(LABEL_OUTPUT) && names.has(PROBABILITIES_OUTPUT)) {
    const label = outputs.find((o) => o.name === LABEL_OUTPUT)!;
    const probabilities = outputs.find((o) => o.name === PROBABILITIES_OUTPUT)!;
    if (!probabilities.isTensor) {
      throw new Error(`model output ${PROBABILITIES_OUTPUT} must be a tensor [N, K], not a map (no ZipMap)`);
    }
    return {
      inputs: contractInputs,
      task: 'classification',
      labelType: label.type === 'string' ? 'string' : 'int64',
    };
  }
  if (names.has(VALUE_OUTPUT)) return { inputs: contractInputs, task: 'regression' };
  throw new Error(
    `model outputs are ${[...names].join(', ')}; expected ${LABEL_OUTPUT} + ${PROBABILITIES_OUTPUT}, or ${VALUE_OUTPUT}`,
  );
}

/** Rows of one request, held column by column in the model's input order. */
export interface ColumnBatch {
  rows: number;
  columns: Array<string[] | Float32Array>;
}

type Row = Record<string, unknown>;

/** Builds columns from row objects (`/predict`, MLflow `dataframe_records` and `instances`). */
export function columnsFromRecords(contract: ModelContract, records: unknown[], path: string): ColumnBatch {
  const rows = records.length;
  const columns = contract.inputs.map((input) =>
    input.type === 'string' ? new Array<string>(rows) : new Float32Array(rows),
  );
  for (let r = 0; r < rows; r++) {
    const record = records[r];
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new InputError(`${path}[${r}]`, 'must be an object of feature values');
    }
    for (let c = 0; c < contract.inputs.length; c++) {
      const input = contract.inputs[c];
      const value = (record as Row)[input.name];
      if (value === undefined && !Object.hasOwn(record, input.name)) {
        throw new InputError(`${path}[${r}].${input.name}`, 'is missing');
      }
      const problem = setCell(columns[c], input, r, value);
      if (problem) throw new InputError(`${path}[${r}].${input.name}`, problem);
    }
  }
  return { rows, columns };
}

/** Builds columns from a column list and row arrays (MLflow `dataframe_split`). */
export function columnsFromSplit(
  contract: ModelContract,
  names: unknown[],
  data: unknown[],
  path: string,
): ColumnBatch {
  const position = new Map<string, number>();
  names.forEach((name, i) => {
    if (typeof name !== 'string') throw new InputError(`${path}.columns[${i}]`, 'must be a string');
    position.set(name, i);
  });
  const rows = data.length;
  const columns = contract.inputs.map((input) => {
    const at = position.get(input.name);
    if (at === undefined) throw new InputError(`${path}.columns`, `is missing feature "${input.name}"`);
    return input.type === 'string' ? new Array<string>(rows) : new Float32Array(rows);
  });
  for (let r = 0; r < rows; r++) {
    const row = data[r];
    if (!Array.isArray(row) || row.length !== names.length) {
      throw new InputError(`${path}.data[${r}]`, `must be an array of ${names.length} values`);
    }
    for (let c = 0; c < contract.inputs.length; c++) {
      const input = contract.inputs[c];
      const at = position.get(input.name)!;
      const problem = setCell(columns[c], input, r, row[at]);
      if (problem) throw new InputError(`${path}.data[${r}][${at}] (${input.name})`, problem);
    }
  }
  return { rows, columns };
}

/** Builds columns from one value array per feature (Open Inference Protocol tensors, MLflow columnar `inputs`). */
export function columnsFromArrays(
  contract: ModelContract,
  arrays: Map<string, { values: unknown[]; path: string }>,
): ColumnBatch {
  let rows = -1;
  const columns = contract.inputs.map((input) => {
    const given = arrays.get(input.name);
    if (!given) throw new InputError('inputs', `is missing feature "${input.name}"`);
    if (rows === -1) rows = given.values.length;
    else if (given.values.length !== rows) {
      throw new InputError(given.path, `has ${given.values.length} values but other inputs have ${rows}`);
    }
    const column = input.type === 'string' ? new Array<string>(rows) : new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const problem = setCell(column, input, r, given.values[r]);
      if (problem) throw new InputError(`${given.path}[${r}]`, problem);
    }
    return column;
  });
  return { rows: Math.max(rows, 0), columns };
}

/**
 * Stores one cell; returns what is wrong with the value, if anything. The caller names the field
 * only then: building that name for every cell (a template string with the row number) showed in
 * the profile of 100-row requests.
 */
function setCell(
  column: string[] | Float32Array,
  input: ContractInput,
  r: number,
  value: unknown,
): string | undefined {
  if (input.type === 'string') {
    // A missing category is served as the empty string, which the graph encodes as unknown.
    if (typeof value === 'string') (column as string[])[r] = value;
    else if (value === null) (column as string[])[r] = '';
    else return `must be a string (categorical), got ${describe(value)}`;
  } else if (typeof value === 'number') (column as Float32Array)[r] = value;
  // Missing numerics are NaN, which the graph's imputation or tree splits handle.
  else if (value === null) (column as Float32Array)[r] = Number.NaN;
  else return `must be a number or null (numeric), got ${describe(value)}`;
  return undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 40))}` : `a ${typeof value}`;
}

/** Concatenates the columns of several requests into one batch for a single model run. */
export function concatBatches(contract: ModelContract, parts: ColumnBatch[]): ColumnBatch {
  if (parts.length === 1) return parts[0];
  let rows = 0;
  for (const part of parts) rows += part.rows;
  const columns = contract.inputs.map((input, c) => {
    if (input.type === 'string') {
      const out = new Array<string>(rows);
      let at = 0;
      for (const part of parts) {
        const source = part.columns[c] as string[];
        for (let i = 0; i < part.rows; i++) out[at++] = source[i];
      }
      return out;
    }
    const out = new Float32Array(rows);
    let at = 0;
    for (const part of parts) {
      out.set(part.columns[c] as Float32Array, at);
      at += part.rows;
    }
    return out;
  });
  return { rows, columns };
}
