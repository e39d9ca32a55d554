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
  // Labels of identical rows queue up in file order and are taken in that order.
  const queues = new Map<string, { labels: number[]; next: number }>();
  for (let r = 0; r < labelled.numRows; r++) {
    if (Number.isNaN(labels[r])) continue;
    const key = rowKey(labelled, features, r);
    const queue = queues.get(key);
    if (queue) queue.labels.push(labels[r]);
    else queues.set(key, { labels: [labels[r]], next: 0 });
  }
  const matchedLabels: number[] = [];
  const matchedScores: number[] = [];
  for (let r = 0; r < window.numRows; r++) {
    if (Number.isNaN(options.scores[r])) continue;
    const queue = queues.get(rowKey(window, features, r));
    if (!queue || queue.next === queue.labels.length) continue;
    const label = queue.labels[queue.next++];
    matchedLabels.push(label);
    matchedScores.push(options.scores[r]);
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

/**
 * A row's identity by content. Numbers go through float32, because the service receives float
 * tensors and captures what it scored; missing is one marker for either kind.
 */
function rowKey(dataset: ColumnarDataset, features: FeatureSpec[], r: number): string {
  let key = '';
  for (const f of features) {
    const column = dataset.columns[f.name];
    if (!column) throw new Error(`the labelled data set has no column ${f.name}`);
    if (column.kind === 'numeric') {
      const v = column.values[r];
      key += Number.isNaN(v) ? '\u0000' : String(Math.fround(v));
    } else {
      const code = column.codes[r];
      key += code < 0 || column.dictionary[code] === '' ? '\u0000' : column.dictionary[code];
    }
    key += '\u0001';
  }
  return key;
}
