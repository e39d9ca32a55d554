import erfc from '@stdlib/math-base-special-erfc';
import gammainc from '@stdlib/math-base-special-gammainc';

/**
 * The statistics behind drift-check, written to give the numbers scipy gives (checked against
 * fixtures scipy produced, test/fixtures/drift/). Hand-written because no maintained JavaScript
 * library offers the two-sample tests on typed arrays with scipy's conventions; the special
 * functions (incomplete gamma, erfc) come from stdlib.
 */

type Values = ArrayLike<number>;

export interface TestOutcome {
  statistic: number;
  pValue: number;
}

/** Largest max(n1, n2) for which the KS p-value is exact, as scipy's `method='auto'` chooses. */
export const KS_EXACT_MAX_N = 10_000;

/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, on sorted samples: scipy.stats.ks_2samp with
 * method='auto' (exact p-value up to 10,000 values a side; the asymptotic Kolmogorov distribution
 * beyond).
 */
export function ks2Samp(sortedA: Values, sortedB: Values): TestOutcome & { method: 'exact' | 'asymp' } {
  const n1 = sortedA.length;
  const n2 = sortedB.length;
  if (n1 === 0 || n2 === 0) throw new Error('KS needs two non-empty samples');
  const d = ksStatistic(sortedA, sortedB);
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    return { statistic: d, pValue: ksExactPValue(n1, n2, d), method: 'exact' };
  }
  return { statistic: d, pValue: ksAsymptoticPValue(n1, n2, d), method: 'asymp' };
}

/** sup |F_a - F_b| over the pooled values; ties advance both samples together. */
export function ksStatistic(sortedA: Values, sortedB: Values): number {
  const n1 = sortedA.length;
  const n2 = sortedB.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n1 && j < n2) {
    const x = Math.min(sortedA[i], sortedB[j]);
    while (i < n1 && sortedA[i] <= x) i++;
    while (j < n2 && sortedB[j] <= x) j++;
    const gap = Math.abs(i / n1 - j / n2);
    if (gap > d) d = gap;
  }
  return d;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * P(D >= d) under the null, counting lattice paths from (0,0) to (n1,n2) that stay strictly inside
 * the band |i/n1 - j/n2| < d. Works in probabilities (each step weighted by the chance a random path
 * takes it), so nothing overflows where path counts would; O(n1 * band) time, O(n2) memory.
 */
export function ksExactPValue(n1: number, n2: number, d: number): number {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  // In units of 1/lcm the statistic is an integer; rounding removes floating error (as scipy does).
  const h = Math.round(d * lcm);
  if (h === 0) return 1;
  const a = n2 / g; // i/n1 = i*a/lcm
  const b = n1 / g; // j/n2 = j*b/lcm
  const total = n1 + n2;
  let row = new Float64Array(n2 + 1);
  let next = new Float64Array(n2 + 1);
  // Row i = 0: only steps in j, while inside the band.
  row[0] = 1;
  for (let j = 1; j <= n2; j++) row[j] = j * b < h ? (row[j - 1] * (n2 - j + 1)) / (total - j + 1) : 0;
  for (let i = 1; i <= n1; i++) {
    next.fill(0);
    // Only j with |i*a - j*b| < h can be reached.
    const lo = Math.max(0, Math.floor((i * a - h) / b));
    const hi = Math.min(n2, Math.ceil((i * a + h) / b));
    for (let j = lo; j <= hi; j++) {
      if (Math.abs(i * a - j * b) >= h) continue;
      const remaining = total - i - j + 1;
      let p = (row[j] * (n1 - i + 1)) / remaining;
      if (j > 0) p += (next[j - 1] * (n2 - j + 1)) / remaining;
      next[j] = p;
    }
    [row, next] = [next, row];
  }
  return Math.min(1, Math.max(0, 1 - row[n2]));
}

/**
 * Asymptotic p-value: the Kolmogorov limit distribution at sqrt(en)*d with en = n1*n2/(n1+n2),
 * with Stephens' finite-sample correction (scipy uses the exact one-sample distribution at round(en);
 * the two agree to a few parts in a thousand at the sizes where this branch runs).
 */
export function ksAsymptoticPValue(n1: number, n2: number, d: number): number {
  const en = (n1 * n2) / (n1 + n2);
  const root = Math.sqrt(en);
  return kolmogorovSurvival((root + 0.12 + 0.11 / root) * d);
}

/** Q(x) = 2 * sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2): P(K > x) for the Kolmogorov distribution. */
export function kolmogorovSurvival(x: number): number {
  if (x <= 0) return 1;
  if (x < 0.2) return 1; // The series converges slowly there, and the value is 1 to 1e-12.
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/**
 * First Wasserstein distance between two empirical distributions given sorted samples:
 * the area between their CDFs (scipy.stats.wasserstein_distance).
 */
export function wassersteinDistance(sortedU: Values, sortedV: Values): number {
  const nu = sortedU.length;
  const nv = sortedV.length;
  if (nu === 0 || nv === 0) throw new Error('Wasserstein needs two non-empty samples');
  let i = 0;
  let j = 0;
  let area = 0;
  let x = Math.min(sortedU[0], sortedV[0]);
  while (i < nu || j < nv) {
    while (i < nu && sortedU[i] <= x) i++;
    while (j < nv && sortedV[j] <= x) j++;
    if (i === nu && j === nv) break;
    const nextX = Math.min(
      i < nu ? sortedU[i] : Number.POSITIVE_INFINITY,
      j < nv ? sortedV[j] : Number.POSITIVE_INFINITY,
    );
    area += Math.abs(i / nu - j / nv) * (nextX - x);
    x = nextX;
  }
  return area;
}

/**
 * Pearson's chi-square goodness-of-fit (scipy.stats.chisquare): observed counts against expected
 * counts, k - 1 degrees of freedom. Bins empty on both sides are dropped; an observed count where
 * none was expected gives an infinite statistic and p = 0.
 */
export function chiSquare(observed: Values, expected: Values): TestOutcome & { df: number } {
  if (observed.length !== expected.length) throw new Error('chi-square needs equal-length vectors');
  let statistic = 0;
  let bins = 0;
  for (let k = 0; k < observed.length; k++) {
    const o = observed[k];
    const e = expected[k];
    if (o === 0 && e === 0) continue;
    bins++;
    statistic += e === 0 ? Number.POSITIVE_INFINITY : ((o - e) * (o - e)) / e;
  }
  const df = bins - 1;
  if (df < 1) return { statistic: 0, pValue: 1, df: Math.max(df, 0) };
  const pValue = Number.isFinite(statistic) ? chiSquareSurvival(statistic, df) : 0;
  return { statistic, pValue, df };
}

/** P(X > x) for chi-square with `df` degrees of freedom: the regularized upper incomplete gamma. */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  return gammainc(x / 2, df / 2, true, true);
}

/**
 * Jensen–Shannon distance with natural logarithms (scipy.spatial.distance.jensenshannon): the
 * square root of the mean KL divergence of each distribution to their mixture. Inputs are
 * normalised to sum 1 first, as scipy does.
 */
export function jensenShannonDistance(p: Values, q: Values): number {
  if (p.length !== q.length) throw new Error('Jensen-Shannon needs equal-length vectors');
  let sp = 0;
  let sq = 0;
  for (let k = 0; k < p.length; k++) {
    sp += p[k];
    sq += q[k];
  }
  let divergence = 0;
  for (let k = 0; k < p.length; k++) {
    const a = p[k] / sp;
    const b = q[k] / sq;
    const m = (a + b) / 2;
    if (a > 0) divergence += a * Math.log(a / m);
    if (b > 0) divergence += b * Math.log(b / m);
  }
  return Math.sqrt(Math.max(0, divergence / 2));
}

/**
 * Two-proportion z-test, two-sided, pooled variance (Evidently's `z` test for binary columns):
 * successes1 of n1 against successes2 of n2.
 */
export function proportionsZTest(
  successes1: number,
  n1: number,
  successes2: number,
  n2: number,
): TestOutcome {
  const p1 = successes1 / n1;
  const p2 = successes2 / n2;
  const pooled = (successes1 + successes2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { statistic: 0, pValue: 1 };
  const z = (p1 - p2) / se;
  return { statistic: z, pValue: erfc(Math.abs(z) / Math.SQRT2) };
}
