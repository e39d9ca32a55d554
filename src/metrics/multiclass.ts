/**
 * Multiclass metrics from integer labels 0..K-1 and row-major class probabilities (N x K), with
 * scikit-learn's definitions (zero_division=0), checked against it in test/fixtures/metrics/.
 */

export interface ClassFigures {
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true label is this class. */
  support: number;
}

export interface MulticlassMetrics {
  accuracy: number;
  macro_f1: number;
  weighted_f1: number;
  log_loss: number;
}

/** Index of the largest probability in each row; the first wins a tie, like numpy.argmax. */
export function argmaxRows(probabilities: ArrayLike<number>, classes: number): Int32Array {
  const rows = probabilities.length / classes;
  if (!Number.isInteger(rows))
    throw new Error(`${probabilities.length} probabilities are not rows of ${classes}`);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let k = 1; k < classes; k++) {
      if (probabilities[r * classes + k] > probabilities[r * classes + best]) best = k;
    }
    out[r] = best;
  }
  return out;
}

/** counts[true * K + predicted]. */
export function multiclassConfusion(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): number[][] {
  if (labels.length !== predicted.length) throw new Error('labels and predictions differ in length');
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) matrix[labels[i]][predicted[i]]++;
  return matrix;
}

export function accuracy(labels: ArrayLike<number>, predicted: ArrayLike<number>): number {
  if (labels.length !== predicted.length) throw new Error('labels and predictions differ in length');
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predicted[i]) right++;
  return right / labels.length;
}

export function perClassFigures(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): ClassFigures[] {
  const matrix = multiclassConfusion(labels, predicted, classes);
  return matrix.map((row, k) => {
    const tp = row[k];
    const support = row.reduce((a, b) => a + b, 0);
    let predictedK = 0;
    for (let j = 0; j < classes; j++) predictedK += matrix[j][k];
    const precision = predictedK === 0 ? 0 : tp / predictedK;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = support + predictedK === 0 ? 0 : (2 * tp) / (support + predictedK);
    return { precision, recall, f1, support };
  });
}

/**
 * Unweighted mean of per-class F1. scikit-learn averages over the classes present in the labels
 * or the predictions, so a class that never occurs on either side does not drag the mean to zero.
 */
export function macroF1(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number {
  const figures = perClassFigures(labels, predicted, classes);
  const present = presentClasses(labels, predicted, classes);
  return present.reduce((sum, k) => sum + figures[k].f1, 0) / present.length;
}

/** Per-class F1 weighted by support. */
export function weightedF1(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number {
  const figures = perClassFigures(labels, predicted, classes);
  const total = figures.reduce((sum, f) => sum + f.support, 0);
  return total === 0 ? 0 : figures.reduce((sum, f) => sum + f.f1 * f.support, 0) / total;
}

function presentClasses(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[] {
  const seen = new Uint8Array(classes);
  for (let i = 0; i < labels.length; i++) {
    seen[labels[i]] = 1;
    seen[predicted[i]] = 1;
  }
  return Array.from(seen.keys()).filter((k) => seen[k] === 1);
}

/**
 * Mean negative log-probability of the true class. Like scikit-learn, each row is clipped to
 * [eps, 1 - eps] and renormalised to sum to one first.
 */
export function multiclassLogLoss(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  classes: number,
): number {
  const rows = labels.length;
  if (probabilities.length !== rows * classes) throw new Error('probabilities are not N x K');
  const eps = Number.EPSILON;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.min(Math.max(probabilities[r * classes + k], eps), 1 - eps);
    const p = Math.min(Math.max(probabilities[r * classes + labels[r]], eps), 1 - eps) / sum;
    total -= Math.log(p);
  }
  return total / rows;
}

export function multiclassMetrics(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  classes: number,
): MulticlassMetrics {
  const predicted = argmaxRows(probabilities, classes);
  return {
    accuracy: accuracy(labels, predicted),
    macro_f1: macroF1(labels, predicted, classes),
    weighted_f1: weightedF1(labels, predicted, classes),
    log_loss: multiclassLogLoss(labels, probabilities, classes),
  };
}
