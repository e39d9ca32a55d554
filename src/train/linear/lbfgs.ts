/**
 * Limited-memory BFGS with a backtracking (Armijo) line search, for smooth convex objectives such as
 * L2-regularised logistic, softmax and least-squares losses. Hand-written because the cost lives in
 * the objective (a sparse pass over the rows), and no maintained npm optimizer takes a Float64Array
 * objective with a gradient without per-iteration array copies; this one is ~80 lines and allocates
 * its history once.
 */
/** Writes the gradient at `x` into `gradient` and returns the value. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  maxIterations: number;
  /** Stop when the largest gradient component is below this. */
  gradientTolerance: number;
  /** Stop when an iteration improves the value by less than this, relative to the value. */
  relativeTolerance: number;
  memory?: number;
  /**
   * Diagonal approximation of the inverse Hessian (H0). One-hot designs mix columns whose curvature
   * differs by orders of magnitude (a frequent category against a rare one); scaling by the diagonal
   * removes most of that and cuts iterations tenfold. Without it, H0 is the usual scaled identity.
   */
  preconditioner?: Float64Array;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  gradientNorm: number;
}

export function minimizeLbfgs(objective: Objective, start: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = start.length;
  const m = options.memory ?? 10;
  const x = Float64Array.from(start);
  const g = new Float64Array(n);
  const xNext = new Float64Array(n);
  const gNext = new Float64Array(n);
  const direction = new Float64Array(n);
  const s = Array.from({ length: m }, () => new Float64Array(n));
  const y = Array.from({ length: m }, () => new Float64Array(n));
  const rho = new Float64Array(m);
  const alpha = new Float64Array(m);
  let stored = 0;
  let newest = -1;

  let value = objective(x, g);
  let evaluations = 1;
  let iterations = 0;
  let converged = maxAbs(g) < options.gradientTolerance;

  while (!converged && iterations < options.maxIterations) {
    iterations++;
    // Two-loop recursion: direction = -H g.
    for (let i = 0; i < n; i++) direction[i] = -g[i];
    for (let k = 0; k < stored; k++) {
      const j = (newest - k + m) % m;
      alpha[j] = rho[j] * dot(s[j], direction);
      axpy(-alpha[j], y[j], direction);
    }
    const diagonal = options.preconditioner;
    if (diagonal) {
      for (let i = 0; i < n; i++) direction[i] *= diagonal[i];
    } else if (stored > 0) {
      const gamma = dot(s[newest], y[newest]) / dot(y[newest], y[newest]);
      for (let i = 0; i < n; i++) direction[i] *= gamma;
    } else {
      // First step: unit length, so a large gradient does not throw the iterate far away.
      const scale = 1 / Math.max(1, Math.sqrt(dot(g, g)));
      for (let i = 0; i < n; i++) direction[i] *= scale;
    }
    for (let k = stored - 1; k >= 0; k--) {
      const j = (newest - k + m) % m;
      const beta = rho[j] * dot(y[j], direction);
      axpy(alpha[j] - beta, s[j], direction);
    }

    let slope = dot(g, direction);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      stored = 0;
      for (let i = 0; i < n; i++) direction[i] = -g[i] / Math.max(1, Math.sqrt(dot(g, g)));
      slope = dot(g, direction);
    }
    let step = 1;
    let valueNext = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNext[i] = x[i] + step * direction[i];
      valueNext = objective(xNext, gNext);
      evaluations++;
      if (valueNext <= value + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(valueNext <= value)) break; // No progress possible at machine precision.

    const sNew = s[(newest + 1) % m];
    const yNew = y[(newest + 1) % m];
    for (let i = 0; i < n; i++) {
      sNew[i] = xNext[i] - x[i];
      yNew[i] = gNext[i] - g[i];
    }
    const sy = dot(sNew, yNew);
    if (sy > 1e-16) {
      newest = (newest + 1) % m;
      rho[newest] = 1 / sy;
      stored = Math.min(stored + 1, m);
    } else if (stored === m) {
      stored = m - 1; // The oldest pair's slot was just overwritten with a rejected pair.
    }
    const improvement = value - valueNext;
    x.set(xNext);
    g.set(gNext);
    value = valueNext;
    converged =
      maxAbs(g) < options.gradientTolerance ||
      improvement <= options.relativeTolerance * Math.max(Math.abs(value), 1e-300);
  }
  return { x, value, iterations, evaluations, converged, gradientNorm: maxAbs(g) };
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += a * x[i];
}

function maxAbs(a: Float64Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]));
  return max;
}
