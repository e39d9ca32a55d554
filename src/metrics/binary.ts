/**
 * Binary classification metrics from labels (0/1) and scores (probability of the positive class).
 * Each one follows scikit-learn's definition, ties and edge cases included, and is checked against
 * its values on fixed vectors (test/fixtures/metrics/binary.json). Hand-written because no JS
 * library computes these the way scikit-learn does (tied scores, average precision, clipping).
 */

export interface CurvePoints {
  /** Score thresholds, decreasing; the first is +Infinity (nothing predicted positive). */
  thresholds: number[];
}

export interface RocCurve extends CurvePoints {
  fpr: number[];
  tpr: number[];
}

export interface PrecisionRecallCurve {
  /** Ordered by increasing threshold, like scikit-learn, ending at recall 0 / precision 1. */
  precision: number[];
  recall: number[];
  thresholds: number[];
}

export interface ConfusionMatrix {
  tn: number;
  fp: number;
  fn: number;
  tp: number;
}

export interface ThresholdMetrics {
  threshold: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  confusion: ConfusionMatrix;
}

export interface CalibrationBin {
  /** Bin bounds: (lower, upper], the first bin also holds 0. */
  lower: number;
  upper: number;
  count: number;
  /** Mean predicted probability in the bin. */
  meanPredicted: number;
  /** Observed share of positives in the bin. */
  fractionPositive: number;
}

function checkInputs(labels: ArrayLike<number>, scores: ArrayLike<number>): void {
  if (labels.length !== scores.length) {
    throw new Error(`labels (${labels.length}) and scores (${scores.length}) differ in length`);
  }
  if (labels.length === 0) throw new Error('metrics need at least one row');
}

interface Counts {
  tps: number[];
  fps: number[];
  thresholds: number[];
  positives: number;
  negatives: number;
}

/**
 * Cumulative true and false positives at each distinct score, scanning from the highest score
 * down: scikit-learn's `_binary_clf_curve`. Tied scores form one step, which is how ties count
 * as half in the AUC. The scores of each class are sorted natively (typed-array sort, no
 * comparator) and merged, which is several times faster than sorting row indices by score.
 */
function cumulativeCounts(labels: ArrayLike<number>, scores: ArrayLike<number>): Counts {
  checkInputs(labels, scores);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  const negatives = labels.length - positives;
  const pos = new Float64Array(positives);
  const neg = new Float64Array(negatives);
  for (let i = 0, p = 0, n = 0; i < labels.length; i++) {
    if (Number.isNaN(scores[i])) throw new Error(`score ${i} is NaN`);
    if (labels[i] === 1) pos[p++] = scores[i];
    else neg[n++] = scores[i];
  }
  pos.sort();
  neg.sort();
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  // Walk both ascending arrays from their ends (highest scores first).
  let p = positives - 1;
  let n = negatives - 1;
  let tp = 0;
  let fp = 0;
  while (p >= 0 || n >= 0) {
    const score = Math.max(
      p >= 0 ? pos[p] : Number.NEGATIVE_INFINITY,
      n >= 0 ? neg[n] : Number.NEGATIVE_INFINITY,
    );
    while (p >= 0 && pos[p] === score) {
      tp++;
      p--;
    }
    while (n >= 0 && neg[n] === score) {
      fp++;
      n--;
    }
    tps.push(tp);
    fps.push(fp);
    thresholds.push(score);
  }
  return { tps, fps, thresholds, positives, negatives };
}

/** Every distinct threshold, like `roc_curve(..., drop_intermediate=False)`. */
export function rocCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): RocCurve {
  const { tps, fps, thresholds, positives, negatives } = cumulativeCounts(labels, scores);
  return {
    thresholds: [Number.POSITIVE_INFINITY, ...thresholds],
    // scikit-learn warns and returns NaN when a class is absent; so do we.
    fpr: [0, ...fps.map((f) => (negatives === 0 ? Number.NaN : f / negatives))],
    tpr: [0, ...tps.map((t) => (positives === 0 ? Number.NaN : t / positives))],
  };
}

/** Area under the ROC curve by the trapezoid rule over distinct thresholds (tied scores count half). */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { fpr, tpr } = rocCurve(labels, scores);
  if (Number.isNaN(fpr[1]) || Number.isNaN(tpr[1])) {
    throw new Error('ROC AUC needs both classes in the labels');
  }
  let area = 0;
  for (let i = 1; i < fpr.length; i++) area += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
  return area;
}

/** `precision_recall_curve` (scikit-learn >= 1.1): every distinct threshold, increasing. */
export function precisionRecallCurve(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
): PrecisionRecallCurve {
  const { tps, fps, thresholds, positives } = cumulativeCounts(labels, scores);
  const precision: number[] = [];
  const recall: number[] = [];
  const kept: number[] = [];
  for (let i = tps.length - 1; i >= 0; i--) {
    const predicted = tps[i] + fps[i];
    precision.push(predicted === 0 ? 0 : tps[i] / predicted);
    recall.push(positives === 0 ? 1 : tps[i] / positives);
    kept.push(thresholds[i]);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds: kept };
}

/**
 * Average precision (`average_precision_score`), the PR AUC scikit-learn recommends: the sum of
 * precision at each threshold weighted by the recall it adds. No interpolation, so it does not
 * flatter the curve the way the trapezoid rule does.
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { precision, recall } = precisionRecallCurve(labels, scores);
  let ap = 0;
  // recall decreases along the arrays; sklearn computes -sum(diff(recall) * precision[:-1]).
  for (let i = 0; i < recall.length - 1; i++) ap += (recall[i] - recall[i + 1]) * precision[i];
  return ap;
}

export const prAuc = averagePrecision;

/**
 * Mean negative log-likelihood. Probabilities are clipped to [eps, 1 - eps] with the float64
 * machine epsilon, as scikit-learn does, so a confident miss costs about 36, not infinity.
 */
export function logLoss(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkInputs(labels, scores);
  const eps = Number.EPSILON;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(scores[i], eps), 1 - eps);
    total -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return total / labels.length;
}

/** Mean squared difference between the probability and the outcome. */
export function brier(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkInputs(labels, scores);
  let total = 0;
  for (let i = 0; i < labels.length; i++) total += (scores[i] - labels[i]) ** 2;
  return total / labels.length;
}

/** A row is predicted positive when its score is at or above the threshold. */
export function confusionMatrix(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold = 0.5,
): ConfusionMatrix {
  checkInputs(labels, scores);
  const matrix = { tn: 0, fp: 0, fn: 0, tp: 0 };
  for (let i = 0; i < labels.length; i++) {
    const predicted = scores[i] >= threshold;
    if (labels[i] === 1) {
      if (predicted) matrix.tp++;
      else matrix.fn++;
    } else if (predicted) matrix.fp++;
    else matrix.tn++;
  }
  return matrix;
}

/** Accuracy, precision, recall and F1 at a threshold; 0 where a ratio is 0/0 (zero_division=0). */
export function thresholdMetrics(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold = 0.5,
): ThresholdMetrics {
  const confusion = confusionMatrix(labels, scores, threshold);
  const { tn, fp, fn, tp } = confusion;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = 2 * tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  return { threshold, accuracy: (tp + tn) / labels.length, precision, recall, f1, confusion };
}

/**
 * Reliability diagram bins of equal width, like `calibration_curve(strategy="uniform")`: a score
 * on an inner edge belongs to the bin below it. Empty bins are left out, as scikit-learn does.
 */
export function calibrationBins(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  bins = 10,
): CalibrationBin[] {
  checkInputs(labels, scores);
  const count = new Float64Array(bins);
  const sumPredicted = new Float64Array(bins);
  const sumPositive = new Float64Array(bins);
  const edges = Array.from({ length: bins + 1 }, (_, i) => i / bins);
  for (let i = 0; i < labels.length; i++) {
    const bin = binOf(edges, scores[i]);
    count[bin]++;
    sumPredicted[bin] += scores[i];
    sumPositive[bin] += labels[i];
  }
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    out.push({
      lower: edges[b],
      upper: edges[b + 1],
      count: count[b],
      meanPredicted: sumPredicted[b] / count[b],
      fractionPositive: sumPositive[b] / count[b],
    });
  }
  return out;
}

/** numpy.searchsorted(edges[1:-1], value, side="left"): inner edges only, ties go left. */
function binOf(edges: number[], value: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid + 1] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface BinaryMetrics {
  auc: number;
  pr_auc: number;
  log_loss: number;
  brier: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

/** The flat figures gates, ledgers and reports use. */
export function binaryMetrics(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold = 0.5,
): BinaryMetrics {
  const at = thresholdMetrics(labels, scores, threshold);
  return {
    auc: rocAuc(labels, scores),
    pr_auc: averagePrecision(labels, scores),
    log_loss: logLoss(labels, scores),
    brier: brier(labels, scores),
    accuracy: at.accuracy,
    precision: at.precision,
    recall: at.recall,
    f1: at.f1,
  };
}
