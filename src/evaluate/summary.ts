import {
  type CalibrationBin,
  type ConfusionMatrix,
  calibrationBins,
  confusionMatrix,
  precisionRecallCurve,
  rocCurve,
} from '../metrics/binary.ts';
import {
  argmaxRows,
  type ClassFigures,
  multiclassConfusion,
  perClassFigures,
} from '../metrics/multiclass.ts';

/**
 * What the report plots for one model, reduced from millions of scores to a few hundred points:
 * charts get small tables, never raw rows, so a report stays a few hundred kilobytes.
 */
export interface BinarySummary {
  kind: 'binary';
  threshold: number;
  roc: Array<{ fpr: number; tpr: number }>;
  pr: Array<{ recall: number; precision: number }>;
  calibration: CalibrationBin[];
  confusion: ConfusionMatrix;
  /** Share of each class's rows per score bin (each class sums to 1). */
  scoreHistogram: Array<{ lower: number; upper: number; negative: number; positive: number }>;
  positives: number;
  negatives: number;
}

export interface MulticlassSummary {
  kind: 'multiclass';
  classes: string[];
  /** confusion[true][predicted]. */
  confusion: number[][];
  perClass: ClassFigures[];
}

export interface RegressionSummary {
  kind: 'regression';
  /** A deterministic sample of (actual, predicted) pairs. */
  sample: Array<{ actual: number; predicted: number }>;
  residualHistogram: Array<{ lower: number; upper: number; count: number }>;
}

export type ScoreSummary = BinarySummary | MulticlassSummary | RegressionSummary;

const CURVE_POINTS = 300;
const HISTOGRAM_BINS = 40;
const SCATTER_POINTS = 2000;

/** Keeps the first and last point and at most `max` evenly spaced ones between (curves are monotone). */
function thin<T>(points: T[], max = CURVE_POINTS): T[] {
  if (points.length <= max) return points;
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)]);
}

export function summarizeBinary(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold = 0.5,
): BinarySummary {
  const roc = rocCurve(labels, scores);
  const pr = precisionRecallCurve(labels, scores);
  const negativeCounts = new Float64Array(HISTOGRAM_BINS);
  const positiveCounts = new Float64Array(HISTOGRAM_BINS);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const bin = Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(scores[i] * HISTOGRAM_BINS)));
    if (labels[i] === 1) {
      positiveCounts[bin]++;
      positives++;
    } else negativeCounts[bin]++;
  }
  const negatives = labels.length - positives;
  return {
    kind: 'binary',
    threshold,
    roc: thin(roc.fpr.map((fpr, i) => ({ fpr, tpr: roc.tpr[i] }))),
    pr: thin(pr.recall.map((recall, i) => ({ recall, precision: pr.precision[i] }))),
    calibration: calibrationBins(labels, scores, 10),
    confusion: confusionMatrix(labels, scores, threshold),
    scoreHistogram: Array.from({ length: HISTOGRAM_BINS }, (_, b) => ({
      lower: b / HISTOGRAM_BINS,
      upper: (b + 1) / HISTOGRAM_BINS,
      negative: negatives === 0 ? 0 : negativeCounts[b] / negatives,
      positive: positives === 0 ? 0 : positiveCounts[b] / positives,
    })),
    positives,
    negatives,
  };
}

export function summarizeMulticlass(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  classes: string[],
): MulticlassSummary {
  const predicted = argmaxRows(probabilities, classes.length);
  return {
    kind: 'multiclass',
    classes,
    confusion: multiclassConfusion(labels, predicted, classes.length),
    perClass: perClassFigures(labels, predicted, classes.length),
  };
}

export function summarizeRegression(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
): RegressionSummary {
  const n = actual.length;
  const step = Math.max(1, Math.floor(n / SCATTER_POINTS));
  const sample: RegressionSummary['sample'] = [];
  for (let i = 0; i < n && sample.length < SCATTER_POINTS; i += step) {
    sample.push({ actual: actual[i], predicted: predicted[i] });
  }
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const r = predicted[i] - actual[i];
    if (r < lo) lo = r;
    if (r > hi) hi = r;
  }
  const width = hi > lo ? (hi - lo) / HISTOGRAM_BINS : 1;
  const counts = new Float64Array(HISTOGRAM_BINS);
  for (let i = 0; i < n; i++) {
    const bin = Math.min(HISTOGRAM_BINS - 1, Math.floor((predicted[i] - actual[i] - lo) / width));
    counts[bin]++;
  }
  return {
    kind: 'regression',
    sample,
    residualHistogram: Array.from(counts, (count, b) => ({
      lower: lo + b * width,
      upper: lo + (b + 1) * width,
      count,
    })),
  };
}

export function summarize(
  task: 'binary' | 'multiclass' | 'regression',
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  options: { threshold?: number; classes?: string[] } = {},
): ScoreSummary {
  if (task === 'binary') return summarizeBinary(labels, scores, options.threshold);
  if (task === 'multiclass') {
    const k = Math.round(scores.length / labels.length);
    return summarizeMulticlass(
      labels,
      scores,
      options.classes ?? Array.from({ length: k }, (_, i) => String(i)),
    );
  }
  return summarizeRegression(labels, scores);
}
