import type { Design } from './encoding.ts';

/**
 * Newton's method (iteratively reweighted least squares) for the linear models: binary logistic,
 * softmax and least-squares regression. One-hot designs are badly conditioned (rare categories
 * against frequent ones), so first-order methods crawl; Newton converges in a handful of passes.
 * Each pass accumulates the exact Hessian over the row's few non-zeros (intercept, numerics, one
 * column per categorical), then solves a ((width + 1) K)^2 system by Cholesky. Used when the design is
 * narrow enough for a dense Hessian; wider designs use L-BFGS. (The softmax Hessian is singular
 * along "add the same constant to every class's intercept"; the solver's jitter takes care of it.)
 */
export const NEWTON_MAX_WIDTH = 3000;

export interface NewtonOptions {
  l2: number;
  maxIterations: number;
  /** Stop when the largest gradient component (of the mean objective) is below this. */
  tolerance: number;
}

export interface NewtonResult {
  weights: Float64Array;
  iterations: number;
  converged: boolean;
  value: number;
}

export function fitNewton(
  task: 'binary' | 'multiclass' | 'regression',
  design: Design,
  width: number,
  labels: Float64Array,
  outputs: number,
  options: NewtonOptions,
): NewtonResult {
  const K = outputs;
  const d = (width + 1) * K;
  const { rows, numericCount: p, categoricalCount: c, numeric, active } = design;
  const w = new Float64Array(d);
  const gradient = new Float64Array(d);
  const hessian = new Float64Array(d * d);
  const step = new Float64Array(d);
  const trial = new Float64Array(d);
  const index = new Int32Array(1 + p + c);
  const value = new Float64Array(1 + p + c);
  const scores = new Float64Array(K);
  const residual = new Float64Array(K);
  const curvature = new Float64Array(K * K);
  const scale = 1 / rows;

  const objective = (weights: Float64Array, withDerivatives: boolean): number => {
    if (withDerivatives) {
      gradient.fill(0);
      hessian.fill(0);
    }
    let loss = 0;
    for (let i = 0; i < rows; i++) {
      // The row's non-zeros, in ascending column order (intercept, numerics, categoricals by offset).
      let nnz = 0;
      index[nnz] = 0;
      value[nnz++] = 1;
      for (let j = 0; j < p; j++) {
        index[nnz] = 1 + j;
        value[nnz++] = numeric[i * p + j];
      }
      for (let j = 0; j < c; j++) {
        const column = active[i * c + j];
        if (column < 0) continue;
        index[nnz] = 1 + column;
        value[nnz++] = 1;
      }
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let a = 0; a < nnz; a++) s += weights[index[a] * K + k] * value[a];
        scores[k] = s;
      }
      loss += lossDerivatives(task, scores, labels[i], residual, withDerivatives ? curvature : undefined);
      if (!withDerivatives) continue;
      for (let a = 0; a < nnz; a++) {
        const baseA = index[a] * K;
        const va = value[a];
        for (let k = 0; k < K; k++) gradient[baseA + k] += residual[k] * va;
        // Upper triangle of the flattened Hessian: columns ascend, so (a, k) <= (b, l) when a < b,
        // or a == b and l >= k.
        for (let b = a; b < nnz; b++) {
          const baseB = index[b] * K;
          const vab = va * value[b];
          for (let k = 0; k < K; k++) {
            const rowOffset = (baseA + k) * d + baseB;
            for (let l = a === b ? k : 0; l < K; l++) hessian[rowOffset + l] += vab * curvature[k * K + l];
          }
        }
      }
    }
    let penalty = 0;
    for (let j = K; j < d; j++) penalty += weights[j] * weights[j];
    if (withDerivatives) {
      for (let j = K; j < d; j++) {
        gradient[j] += options.l2 * weights[j];
        hessian[j * d + j] += options.l2;
      }
      for (let j = 0; j < d; j++) gradient[j] *= scale;
      for (let a = 0; a < d; a++) {
        for (let b = a; b < d; b++) {
          const h = hessian[a * d + b] * scale;
          hessian[a * d + b] = h;
          hessian[b * d + a] = h;
        }
      }
    }
    return (loss + 0.5 * options.l2 * penalty) * scale;
  };

  let current = objective(w, true);
  let iterations = 0;
  let converged = maxAbs(gradient) < options.tolerance;
  while (!converged && iterations < options.maxIterations) {
    iterations++;
    for (let j = 0; j < d; j++) step[j] = -gradient[j];
    solveCholesky(hessian, d, step);
    // Damped step: halve until the objective decreases. Pure Newton almost always passes at once, so
    // each try computes the derivatives too: the accepted try's are the next iteration's (one pass
    // per iteration instead of two).
    let t = 1;
    let next = current;
    for (let tries = 0; tries < 30; tries++) {
      for (let j = 0; j < d; j++) trial[j] = w[j] + t * step[j];
      next = objective(trial, true);
      if (next <= current) break;
      t *= 0.5;
    }
    if (!(next <= current)) break;
    w.set(trial);
    current = next;
    converged = maxAbs(gradient) < options.tolerance;
  }
  return { weights: w, iterations, converged, value: current };
}

/**
 * Loss of one row; d(loss)/d(scores) into `residual`; the loss's curvature in the scores (K x K)
 * into `curvature` when asked: p(1-p) logistic, diag(p) - p p^T softmax, 1 squared error.
 */
function lossDerivatives(
  task: 'binary' | 'multiclass' | 'regression',
  scores: Float64Array,
  label: number,
  residual: Float64Array,
  curvature: Float64Array | undefined,
): number {
  if (task === 'regression') {
    residual[0] = scores[0] - label;
    if (curvature) curvature[0] = 1;
    return 0.5 * residual[0] * residual[0];
  }
  if (task === 'binary') {
    const s = scores[0];
    const probability = s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
    residual[0] = probability - label;
    if (curvature) curvature[0] = probability * (1 - probability);
    return (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - label * s;
  }
  const K = scores.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < K; k++) max = Math.max(max, scores[k]);
  let sum = 0;
  for (let k = 0; k < K; k++) {
    residual[k] = Math.exp(scores[k] - max);
    sum += residual[k];
  }
  for (let k = 0; k < K; k++) residual[k] /= sum; // probabilities for now
  if (curvature) {
    for (let k = 0; k < K; k++) {
      for (let l = 0; l < K; l++)
        curvature[k * K + l] = (k === l ? residual[k] : 0) - residual[k] * residual[l];
    }
  }
  const loss = max + Math.log(sum) - scores[label];
  residual[label] -= 1;
  return loss;
}

/** Solves H x = b in place (b becomes x) for symmetric positive definite H (overwritten). */
function solveCholesky(h: Float64Array, n: number, b: Float64Array): void {
  // Scale-aware jitter keeps a singular design (e.g. l2 = 0 with collinear columns) solvable.
  let jitter = 0;
  for (let attempt = 0; attempt < 8; attempt++) {
    const l = new Float64Array(h);
    if (jitter > 0) for (let i = 0; i < n; i++) l[i * n + i] += jitter;
    if (choleskyInPlace(l, n)) {
      // Forward then backward substitution with L and L^T.
      for (let i = 0; i < n; i++) {
        let sum = b[i];
        for (let k = 0; k < i; k++) sum -= l[i * n + k] * b[k];
        b[i] = sum / l[i * n + i];
      }
      for (let i = n - 1; i >= 0; i--) {
        let sum = b[i];
        for (let k = i + 1; k < n; k++) sum -= l[k * n + i] * b[k];
        b[i] = sum / l[i * n + i];
      }
      return;
    }
    jitter = jitter === 0 ? 1e-10 : jitter * 100;
  }
  throw new Error('linear model: the Hessian is not positive definite even with jitter');
}

/** Lower-triangular Cholesky factor in the lower triangle of `a` (row-major); false if not SPD. */
function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let diagonal = a[rowJ + j];
    for (let k = 0; k < j; k++) diagonal -= a[rowJ + k] * a[rowJ + k];
    if (!(diagonal > 0)) return false;
    const ljj = Math.sqrt(diagonal);
    a[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let sum = a[rowI + j];
      for (let k = 0; k < j; k++) sum -= a[rowI + k] * a[rowJ + k];
      a[rowI + j] = sum / ljj;
    }
  }
  return true;
}

function maxAbs(a: Float64Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]));
  return max;
}
