import type { FeatureSpec } from '../../config/spec.ts';
import type { ColumnarDataset } from '../../dataset/columnar.ts';
import { MISSING_CODE } from '../../dataset/columnar.ts';

/**
 * How the linear model turns raw columns into its design: numerics standardised with the training
 * mean and standard deviation (missing -> the mean, i.e. 0), categoricals one-hot over the categories
 * seen in training (unseen or missing -> all zeros). The same numbers go into the ONNX graph, so
 * serving encodes exactly as training did.
 */
export interface NumericEncoding {
  name: string;
  mean: number;
  std: number;
}

export interface CategoricalEncoding {
  name: string;
  /** Categories seen in training, sorted; one design column each. */
  categories: string[];
  /** Index of the first of this feature's columns in the design (after the numerics). */
  offset: number;
}

export interface LinearEncoding {
  numeric: NumericEncoding[];
  categorical: CategoricalEncoding[];
  /** Design columns, intercept excluded. */
  width: number;
}

export function fitEncoding(features: FeatureSpec[], dataset: ColumnarDataset): LinearEncoding {
  const numeric: NumericEncoding[] = [];
  const categorical: CategoricalEncoding[] = [];
  for (const feature of features) {
    const column = dataset.columns[feature.name];
    if (!column) throw new Error(`feature ${feature.name} is not in the data set`);
    if (column.kind === 'numeric') {
      let count = 0;
      let mean = 0;
      let m2 = 0;
      // Welford: one pass, stable for the large values a timestamp-like column may hold.
      for (let i = 0; i < column.values.length; i++) {
        const x = column.values[i];
        if (Number.isNaN(x)) continue;
        count++;
        const delta = x - mean;
        mean += delta / count;
        m2 += delta * (x - mean);
      }
      const std = count > 0 ? Math.sqrt(m2 / count) : 0;
      // A constant (or empty) column carries no signal; std 1 keeps it at 0 instead of dividing by 0.
      numeric.push({ name: feature.name, mean: count > 0 ? mean : 0, std: std > 1e-12 ? std : 1 });
    } else {
      const seen = new Uint8Array(column.dictionary.length);
      for (let i = 0; i < column.codes.length; i++) {
        const code = column.codes[i];
        if (code !== MISSING_CODE) seen[code] = 1;
      }
      const categories = column.dictionary.filter((_, code) => seen[code] === 1).sort();
      categorical.push({ name: feature.name, categories, offset: 0 });
    }
  }
  let offset = numeric.length;
  for (const encoding of categorical) {
    encoding.offset = offset;
    offset += encoding.categories.length;
  }
  return { numeric, categorical, width: offset };
}

/**
 * The design matrix in the shape one-hot data wants: the standardised numerics dense (row-major,
 * `numeric.length` per row) and, per categorical feature, the index of the one active design column
 * (-1 for none). Every row has at most `numeric + categorical` non-zeros, so a pass over 2 million
 * rows is a few tens of milliseconds.
 */
export interface Design {
  rows: number;
  numericCount: number;
  categoricalCount: number;
  numeric: Float64Array;
  active: Int32Array;
}

export function encodeDesign(encoding: LinearEncoding, dataset: ColumnarDataset): Design {
  const rows = dataset.numRows;
  const p = encoding.numeric.length;
  const c = encoding.categorical.length;
  const numeric = new Float64Array(rows * p);
  const active = new Int32Array(rows * c);
  encoding.numeric.forEach((feature, j) => {
    const column = dataset.columns[feature.name];
    if (column?.kind !== 'numeric') throw new Error(`column ${feature.name} is not numeric`);
    const values = column.values;
    for (let i = 0; i < rows; i++) {
      const x = values[i];
      numeric[i * p + j] = Number.isNaN(x) ? 0 : (x - feature.mean) / feature.std;
    }
  });
  encoding.categorical.forEach((feature, j) => {
    const column = dataset.columns[feature.name];
    if (column?.kind !== 'categorical') throw new Error(`column ${feature.name} is not categorical`);
    // Map this data set's dictionary (it may differ from training's) onto design columns once.
    const position = new Map(feature.categories.map((category, k) => [category, feature.offset + k]));
    const byCode = Int32Array.from(column.dictionary, (value) => position.get(value) ?? -1);
    const codes = column.codes;
    for (let i = 0; i < rows; i++) {
      const code = codes[i];
      active[i * c + j] = code === MISSING_CODE ? -1 : byCode[code];
    }
  });
  return { rows, numericCount: p, categoricalCount: c, numeric, active };
}
