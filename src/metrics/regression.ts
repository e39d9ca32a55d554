/** Regression metrics with scikit-learn's definitions, checked against it in test/fixtures/metrics/. */

function check(actual: ArrayLike<number>, predicted: ArrayLike<number>): void {
  if (actual.length !== predicted.length) throw new Error('values and predictions differ in length');
  if (actual.length === 0) throw new Error('metrics need at least one row');
}

export function rmse(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  check(actual, predicted);
  let total = 0;
  for (let i = 0; i < actual.length; i++) total += (actual[i] - predicted[i]) ** 2;
  return Math.sqrt(total / actual.length);
}

export function mae(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  check(actual, predicted);
  let total = 0;
  for (let i = 0; i < actual.length; i++) total += Math.abs(actual[i] - predicted[i]);
  return total / actual.length;
}

/**
 * Coefficient of determination. For constant targets scikit-learn (force_finite) returns 1 for a
 * perfect fit and 0 otherwise instead of dividing by zero; so does this.
 */
export function r2(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  check(actual, predicted);
  let mean = 0;
  for (let i = 0; i < actual.length; i++) mean += actual[i];
  mean /= actual.length;
  let residual = 0;
  let spread = 0;
  for (let i = 0; i < actual.length; i++) {
    residual += (actual[i] - predicted[i]) ** 2;
    spread += (actual[i] - mean) ** 2;
  }
  if (spread === 0) return residual === 0 ? 1 : 0;
  return 1 - residual / spread;
}

export interface RegressionMetrics {
  rmse: number;
  mae: number;
  r2: number;
}

export function regressionMetrics(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
): RegressionMetrics {
  return { rmse: rmse(actual, predicted), mae: mae(actual, predicted), r2: r2(actual, predicted) };
}
