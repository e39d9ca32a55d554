import type { FeatureSpec } from '../../config/spec.ts';
import type { ColumnarDataset } from '../../dataset/columnar.ts';
import { UserError } from '../../errors.ts';

/**
 * Histogram bins per feature, fitted on the training rows.
 * - numeric: up to `maxBins` value bins cut at quantiles of the values (one bin per distinct
 *   value when there are few). Bin b holds the values x with edges[b-1] < x <= edges[b]; edges are
 *   float32 values, and values are rounded to float32 before binning, because the exported ONNX
 *   graph compares float32 inputs with float32 thresholds: `bin(x) <= b` iff `x <= edges[b]` holds
 *   the same way in training, in predict() and in onnxruntime.
 * - categorical: one bin per code of the training dictionary.
 * Every feature has one more bin, last, for missing values (and unseen categories).
 */
export interface FeatureBins {
  name: string;
  kind: 'numeric' | 'categorical';
  /** numeric: float32 upper edges of the value bins (ascending). */
  edges: Float64Array;
  /** categorical: the training dictionary (code -> string). */
  dictionary: readonly string[];
  /** Number of value bins; the missing bin's index. */
  valueBins: number;
}

export interface Binning {
  features: FeatureBins[];
  /** First histogram bin of each feature. */
  offsets: Int32Array;
  /** Bins per feature including the missing bin. */
  counts: Int32Array;
  /** Total bins over all features. */
  histSize: number;
  /** Bytes per bin index: 1 while every feature fits in 256 bins. */
  binBytes: 1 | 2;
}

/** Values sampled at most to fit the bins; sorting more buys nothing measurable. */
const MAX_SAMPLE = 1 << 21;

export function fitBinning(
  dataset: ColumnarDataset,
  features: readonly FeatureSpec[],
  maxBins: number,
): Binning {
  const fitted = features.map((feature): FeatureBins => {
    const column = dataset.columns[feature.name];
    if (!column) throw new Error(`training data has no column ${feature.name}`);
    if (column.kind !== feature.kind) {
      throw new UserError(
        `feature "${feature.name}" is ${feature.kind} in the spec but ${column.kind} in the data`,
        {
          file: 'mlship.yaml',
          field: 'features',
          fix: `set kind: ${column.kind} for ${feature.name}, or fix the data`,
        },
      );
    }
    if (column.kind === 'categorical') {
      return {
        name: feature.name,
        kind: 'categorical',
        edges: new Float64Array(0),
        dictionary: column.dictionary,
        valueBins: column.dictionary.length,
      };
    }
    const edges = quantileEdges(column.values, maxBins);
    return { name: feature.name, kind: 'numeric', edges, dictionary: [], valueBins: edges.length };
  });
  const counts = Int32Array.from(fitted, (feature) => feature.valueBins + 1);
  const offsets = new Int32Array(fitted.length);
  let histSize = 0;
  counts.forEach((count, index) => {
    offsets[index] = histSize;
    histSize += count;
  });
  const binBytes = counts.every((count) => count <= 256) ? 1 : 2;
  return { features: fitted, offsets, counts, histSize, binBytes };
}

function quantileEdges(values: Float64Array, maxBins: number): Float64Array {
  const step = Math.max(1, Math.ceil(values.length / MAX_SAMPLE));
  const sample = new Float32Array(Math.ceil(values.length / step));
  let n = 0;
  for (let i = 0; i < values.length; i += step) {
    const value = values[i];
    if (!Number.isNaN(value)) sample[n++] = value;
  }
  const sorted = sample.subarray(0, n).sort();
  const distinct: number[] = [];
  for (let i = 0; i < n && distinct.length <= maxBins; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
  }
  if (distinct.length <= maxBins) return Float64Array.from(distinct);
  const edges: number[] = [];
  for (let b = 1; b <= maxBins; b++) {
    const value = sorted[Math.ceil((b * n) / maxBins) - 1];
    if (edges.length === 0 || value > edges[edges.length - 1]) edges.push(value);
  }
  return Float64Array.from(edges);
}

/** Bin index of a float32-rounded value: the first bin whose edge is >= x (the last bin above). */
export function numericBin(edges: Float64Array, value: number): number {
  if (Number.isNaN(value)) return edges.length;
  const x = Math.fround(value);
  let lo = 0;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Maps a data set's category codes to training codes by their strings (a data set loaded on its
 * own has its own dictionary); unseen categories and missing values map to -1.
 */
export function trainingCodes(
  codes: Int32Array,
  dictionary: readonly string[],
  training: readonly string[],
): Int32Array {
  if (dictionary === training) return codes;
  const index = new Map(training.map((value, code) => [value, code]));
  const remap = Int32Array.from(dictionary, (value) => index.get(value) ?? -1);
  return codes.map((code) => (code < 0 ? -1 : remap[code]));
}

/**
 * The bin matrix: row-major, one bin index per feature (row * features + feature). Row-major,
 * because boosting visits a node's rows in index order and reads every feature of each row.
 */
export function binRows(
  dataset: ColumnarDataset,
  binning: Binning,
  buffer?: SharedArrayBuffer,
): Uint8Array | Uint16Array {
  const F = binning.features.length;
  const n = dataset.numRows;
  const bytes = n * F * binning.binBytes;
  const storage = buffer ?? new ArrayBuffer(bytes);
  const out = binning.binBytes === 1 ? new Uint8Array(storage, 0, n * F) : new Uint16Array(storage, 0, n * F);
  binning.features.forEach((feature, f) => {
    const column = dataset.columns[feature.name];
    if (!column) throw new Error(`data has no column ${feature.name}`);
    const missing = feature.valueBins;
    if (feature.kind === 'categorical') {
      if (column.kind !== 'categorical') throw new Error(`column ${feature.name} is not categorical`);
      const codes = trainingCodes(column.codes, column.dictionary, feature.dictionary);
      for (let r = 0; r < n; r++) {
        const code = codes[r];
        out[r * F + f] = code < 0 ? missing : code;
      }
    } else {
      if (column.kind !== 'numeric') throw new Error(`column ${feature.name} is not numeric`);
      const values = column.values;
      for (let r = 0; r < n; r++) out[r * F + f] = numericBin(feature.edges, values[r]);
    }
  });
  return out;
}
