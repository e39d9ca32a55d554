import type { Design } from './encoding.ts';
import { minimizeLbfgs } from './lbfgs.ts';
import { fitNewton, NEWTON_MAX_WIDTH } from './newton.ts';

/**
 * The linear model's fit: minimises (1/n) [sum of losses + (l2/2) ||W||^2] over the design, intercepts
 * unpenalised — the same optimum as scikit-learn's LogisticRegression(C = 1/l2) and Ridge(alpha = l2).
 * Weights are (width + 1) x outputs, row-major, row 0 the intercepts. Fits with up to NEWTON_MAX_WIDTH
 * parameters use Newton's method (a few passes); wider ones use preconditioned L-BFGS.
 */
export type LinearTask = 'binary' | 'multiclass' | 'regression';

export interface FitOptions {
  l2: number;
  /** auto: Newton when the parameters fit a dense Hessian, else L-BFGS. */
  solver: 'auto' | 'newton' | 'lbfgs';
  maxIterations: number;
  tolerance: number;
}

export interface LinearFit {
  weights: Float64Array;
  outputs: number;
  iterations: number;
  converged: boolean;
  /** Final value of the (mean, regularised) objective. */
  objective: number;
}

export function fitLinear(
  task: LinearTask,
  design: Design,
  width: number,
  labels: Float64Array,
  classes: number,
  options: FitOptions,
): LinearFit {
  const outputs = task === 'multiclass' ? classes : 1;
  // Regression fits a standardised target (same optimum, rescaled), so the tolerances mean the same
  // whether the target is in minutes or in millions.
  let targetMean = 0;
  let targetStd = 1;
  let y = labels;
  if (task === 'regression') {
    targetMean = labels.reduce((sum, v) => sum + v, 0) / labels.length;
    const variance = labels.reduce((sum, v) => sum + (v - targetMean) ** 2, 0) / labels.length;
    targetStd = Math.sqrt(variance) > 1e-12 ? Math.sqrt(variance) : 1;
    y = Float64Array.from(labels, (v) => (v - targetMean) / targetStd);
  }
  let result: { weights: Float64Array; iterations: number; converged: boolean; value: number };
  const newton =
    options.solver === 'newton' || (options.solver === 'auto' && (width + 1) * outputs <= NEWTON_MAX_WIDTH);
  if (newton) {
    result = fitNewton(task, design, width, y, outputs, options);
  } else {
    const objective = makeObjective(task, design, width, y, outputs, options.l2);
    const lbfgs = minimizeLbfgs(objective, new Float64Array((width + 1) * outputs), {
      maxIterations: options.maxIterations,
      gradientTolerance: options.tolerance,
      relativeTolerance: 1e-14,
      preconditioner: diagonalPreconditioner(task, design, width, outputs, options.l2),
    });
    result = { ...lbfgs, weights: lbfgs.x };
  }
  const weights = result.weights;
  if (task === 'regression') {
    for (let j = 0; j <= width; j++) weights[j] *= targetStd;
    weights[0] += targetMean;
  }
  return {
    weights,
    outputs,
    iterations: result.iterations,
    converged: result.converged,
    objective: result.value,
  };
}

/**
 * Inverse of an upper bound of the Hessian's diagonal: (1/n) (c sum_i x_ij^2 + l2), with c the
 * loss's largest curvature (1/4 logistic, 1/2 softmax, 1 squared error).
 */
function diagonalPreconditioner(
  task: LinearTask,
  design: Design,
  width: number,
  outputs: number,
  l2: number,
): Float64Array {
  const { rows, numericCount: p, categoricalCount: c, numeric, active } = design;
  const curvature = task === 'binary' ? 0.25 : task === 'multiclass' ? 0.5 : 1;
  const sums = new Float64Array(width + 1);
  sums[0] = rows;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < p; j++) sums[1 + j] += numeric[i * p + j] ** 2;
    for (let j = 0; j < c; j++) {
      const column = active[i * c + j];
      if (column >= 0) sums[1 + column] += 1;
    }
  }
  const out = new Float64Array((width + 1) * outputs);
  for (let j = 0; j <= width; j++) {
    const h = (curvature * sums[j] + (j === 0 ? 0 : l2)) / rows;
    for (let k = 0; k < outputs; k++) out[j * outputs + k] = h > 0 ? 1 / h : 1;
  }
  return out;
}

function makeObjective(
  task: LinearTask,
  design: Design,
  width: number,
  labels: Float64Array,
  outputs: number,
  l2: number,
) {
  const { rows, numericCount: p, categoricalCount: c, numeric, active } = design;
  const scores = new Float64Array(outputs);
  const residual = new Float64Array(outputs);
  return (w: Float64Array, gradient: Float64Array): number => {
    gradient.fill(0);
    let loss = 0;
    for (let i = 0; i < rows; i++) {
      linearScores(w, outputs, numeric, active, p, c, i, scores);
      loss += lossAndResidual(task, scores, labels[i], residual);
      // Accumulate the gradient over the row's non-zeros only.
      for (let k = 0; k < outputs; k++) gradient[k] += residual[k];
      for (let j = 0; j < p; j++) {
        const x = numeric[i * p + j];
        const row = (1 + j) * outputs;
        for (let k = 0; k < outputs; k++) gradient[row + k] += x * residual[k];
      }
      for (let j = 0; j < c; j++) {
        const column = active[i * c + j];
        if (column < 0) continue;
        const row = (1 + column) * outputs;
        for (let k = 0; k < outputs; k++) gradient[row + k] += residual[k];
      }
    }
    let penalty = 0;
    for (let j = outputs; j < (width + 1) * outputs; j++) {
      penalty += w[j] * w[j];
      gradient[j] += l2 * w[j];
    }
    const scale = 1 / rows;
    for (let j = 0; j < gradient.length; j++) gradient[j] *= scale;
    return (loss + 0.5 * l2 * penalty) * scale;
  };
}

/** Raw scores (logits, or the value) of row `i` into `out`. */
export function linearScores(
  w: Float64Array,
  outputs: number,
  numeric: Float64Array,
  active: Int32Array,
  p: number,
  c: number,
  i: number,
  out: Float64Array,
): void {
  for (let k = 0; k < outputs; k++) out[k] = w[k];
  for (let j = 0; j < p; j++) {
    const x = numeric[i * p + j];
    const row = (1 + j) * outputs;
    for (let k = 0; k < outputs; k++) out[k] += x * w[row + k];
  }
  for (let j = 0; j < c; j++) {
    const column = active[i * c + j];
    if (column < 0) continue;
    const row = (1 + column) * outputs;
    for (let k = 0; k < outputs; k++) out[k] += w[row + k];
  }
}

/** Loss of one row, and d(loss)/d(score) into `residual`. */
function lossAndResidual(
  task: LinearTask,
  scores: Float64Array,
  label: number,
  residual: Float64Array,
): number {
  if (task === 'regression') {
    const diff = scores[0] - label;
    residual[0] = diff;
    return 0.5 * diff * diff;
  }
  if (task === 'binary') {
    const s = scores[0];
    residual[0] = sigmoid(s) - label;
    // log(1 + e^s) - y s, without overflow for large |s|.
    return (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - label * s;
  }
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < scores.length; k++) max = Math.max(max, scores[k]);
  let sum = 0;
  for (let k = 0; k < scores.length; k++) {
    residual[k] = Math.exp(scores[k] - max);
    sum += residual[k];
  }
  for (let k = 0; k < scores.length; k++) residual[k] = residual[k] / sum - (k === label ? 1 : 0);
  return max + Math.log(sum) - scores[label];
}

export function sigmoid(s: number): number {
  if (s >= 0) return 1 / (1 + Math.exp(-s));
  const e = Math.exp(s);
  return e / (1 + e);
}

/** Scores of every row: positive-class probability, K softmax probabilities row-major, or the value. */
export function predictDesign(
  task: LinearTask,
  design: Design,
  weights: Float64Array,
  outputs: number,
): Float64Array {
  const { rows, numericCount: p, categoricalCount: c, numeric, active } = design;
  const out = new Float64Array(rows * outputs);
  const scores = new Float64Array(outputs);
  for (let i = 0; i < rows; i++) {
    linearScores(weights, outputs, numeric, active, p, c, i, scores);
    if (task === 'regression') out[i] = scores[0];
    else if (task === 'binary') out[i] = sigmoid(scores[0]);
    else {
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < outputs; k++) max = Math.max(max, scores[k]);
      let sum = 0;
      for (let k = 0; k < outputs; k++) sum += Math.exp(scores[k] - max);
      for (let k = 0; k < outputs; k++) out[i * outputs + k] = Math.exp(scores[k] - max) / sum;
    }
  }
  return out;
}
