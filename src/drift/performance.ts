import type { FeatureSpec } from '../config/spec.ts';
import type { ColumnarDataset } from '../dataset/columnar.ts';
import { computeMetrics, regressionOf, type Task } from '../metrics/index.ts';

/**
 * The model's performance on a window, once outcomes have arrived. Outcomes come as a labelled
 * data set (e.g. the tracked month of flights with its `delayed` column); captured rows are matched
 * to labelled rows by their feature values, since the service never sees the outcome and a
 * request carries no business key. Each labelled row is used at most once, identical rows taking
 * their labels in file order; identical rows share a score, so among captured duplicates it does
 * not matter which takes which label. The captured score is used as it is: no model is re-run.
 */
export interface WindowPerformance {
  /** Captured rows matched to a labelled row. */
  matched: number;
  unmatched: number;
  metrics: Record<string, number>;
  /** Per metric: window value, registered value, regression (positive = worse), and whether over the allowed. */
  comparison: Array<{
    metric: string;
    window: number;
    registered: number;
    regression: number;
    allowed: number | null;
    degraded: boolean;
  }>;
  degraded: boolean;
}

export interface WindowPerformanceOptions {
  task: Task;
  features: FeatureSpec[];
  window: ColumnarDataset;
  scores: Float64Array;
  labelled: ColumnarDataset;
  labels: Float64Array;
  /** The registered version's metrics (from the ledger). */
  registered: Record<string, number>;
  /** Largest allowed regression per metric (mlship.yaml gates.max_regression). */
  maxRegression: Record<string, number>;
}

export function windowPerformance(options: WindowPerformanceOptions): WindowPerformance {
  const { features, window, labelled, labels } = options;
  if (options.task === 'multiclass') {
    throw new Error(
      'window performance needs per-class scores, which capture logs do not keep for multiclass models',
    );
  }
  // Rows become integer components (category ids shared by both sides, float32 bits of numbers),
  // hashed to 53 bits; a hash hit is confirmed component by component, so collisions cannot pair
  // different rows. Labels of identical rows are taken in file order.
  const categories = features.map(() => new Map<string, number>());
  const ref = rowComponents(labelled, features, categories, true);
  const cur = rowComponents(window, features, categories, false);
  const width = features.length;
  const buckets = new Map<number, { rows: number[]; next: number }>();
  for (let r = 0; r < labelled.numRows; r++) {
    if (Number.isNaN(labels[r])) continue;
    const hash = hashRow(ref, r, width);
    const bucket = buckets.get(hash);
    if (bucket) bucket.rows.push(r);
    else buckets.set(hash, { rows: [r], next: 0 });
  }
  const taken = new Uint8Array(labelled.numRows);
  const matchedLabels: number[] = [];
  const matchedScores: number[] = [];
  for (let r = 0; r < window.numRows; r++) {
    if (Number.isNaN(options.scores[r])) continue;
    const bucket = buckets.get(hashRow(cur, r, width));
    if (!bucket) continue;
    while (bucket.next < bucket.rows.length && taken[bucket.rows[bucket.next]]) bucket.next++;
    for (let k = bucket.next; k < bucket.rows.length; k++) {
      const candidate = bucket.rows[k];
      if (taken[candidate] || !sameRow(ref, candidate, cur, r, width)) continue;
      taken[candidate] = 1;
      matchedLabels.push(labels[candidate]);
      matchedScores.push(options.scores[r]);
      break;
    }
  }
  const metrics = matchedLabels.length > 0 ? computeMetrics(options.task, matchedLabels, matchedScores) : {};
  const comparison = Object.entries(options.registered)
    .filter(([metric]) => metric in metrics && Number.isFinite(metrics[metric]))
    .map(([metric, registered]) => {
      const regression = regressionOf(metric, metrics[metric], registered);
      const allowed = options.maxRegression[metric] ?? null;
      return {
        metric,
        window: metrics[metric],
        registered,
        regression,
        allowed,
        degraded: allowed !== null && regression > allowed,
      };
    });
  return {
    matched: matchedLabels.length,
    unmatched: window.numRows - matchedLabels.length,
    metrics,
    comparison,
    degraded: comparison.some((c) => c.degraded),
  };
}

const MISSING = 0x7fffffff;
/** A category the labelled data never has: such a row cannot match. */
const UNKNOWN = 0x7ffffffe;

/**
 * A row's identity by content, as `width` int32 components per row. Numbers go through float32,
 * because the service receives float tensors and captures what it scored; missing is one marker for
 * either kind, and an empty category counts as missing (the service's convention).
 */
function rowComponents(
  dataset: ColumnarDataset,
  features: FeatureSpec[],
  categories: Array<Map<string, number>>,
  define: boolean,
): Int32Array {
  const width = features.length;
  const out = new Int32Array(dataset.numRows * width);
  const f32 = new Float32Array(1);
  const bits = new Int32Array(f32.buffer);
  features.forEach((feature, f) => {
    const column = dataset.columns[feature.name];
    if (!column) throw new Error(`the labelled data set has no column ${feature.name}`);
    if (column.kind === 'numeric') {
      for (let r = 0; r < dataset.numRows; r++) {
        const v = column.values[r];
        if (Number.isNaN(v)) out[r * width + f] = MISSING;
        else {
          f32[0] = v === 0 ? 0 : v; // -0 and 0 are the same value
          out[r * width + f] = bits[0];
        }
      }
    } else {
      const ids = categories[f];
      const idOfCode = Int32Array.from(column.dictionary, (name) => {
        if (name === '') return MISSING;
        let id = ids.get(name);
        if (id === undefined && define) {
          id = ids.size;
          ids.set(name, id);
        }
        return id ?? UNKNOWN;
      });
      for (let r = 0; r < dataset.numRows; r++) {
        const code = column.codes[r];
        out[r * width + f] = code < 0 ? MISSING : idOfCode[code];
      }
    }
  });
  return out;
}

/** Two 32-bit multiplicative lanes folded into a 53-bit number (exact as a Map key). */
function hashRow(components: Int32Array, r: number, width: number): number {
  let a = 0x9e3779b9;
  let b = 0x85ebca6b;
  for (let k = r * width; k < (r + 1) * width; k++) {
    const x = components[k];
    a = Math.imul(a ^ x, 0x01000193);
    a ^= a >>> 15;
    b = Math.imul(b + x, 0xc2b2ae35);
    b ^= b >>> 13;
  }
  return (a >>> 0) * 2 ** 21 + ((b >>> 0) >>> 11);
}

function sameRow(a: Int32Array, ra: number, b: Int32Array, rb: number, width: number): boolean {
  for (let k = 0; k < width; k++) if (a[ra * width + k] !== b[rb * width + k]) return false;
  return true;
}
