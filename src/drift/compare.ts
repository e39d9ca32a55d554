import type { DriftSpec } from '../config/spec.ts';
import type { CategoricalColumn } from '../dataset/columnar.ts';
import {
  binIndex,
  type CategoricalFeatureProfile,
  categoricalBins,
  type NumericFeatureProfile,
  populationStabilityIndex,
} from '../profile/profile.ts';
import { chiSquare, jensenShannonDistance, ks2Samp, proportionsZTest, wassersteinDistance } from './stats.ts';

/**
 * One column of the window against its reference profile, with the test Evidently's default
 * algorithm would pick (docs: "Data drift algorithm"):
 *
 * - numeric with more than 5 distinct reference values: two-sample Kolmogorov–Smirnov (drift when
 *   p < p_value) for small data, normalised Wasserstein distance (Wasserstein-1 / reference std,
 *   drift when >= distance) for large;
 * - categorical, or numeric with at most 5 distinct values: chi-square (p < p_value) for small data,
 *   Jensen–Shannon distance (>= distance) for large; binary columns on small data use the
 *   two-proportion z-test;
 * - "small" is at most 1000 rows. Evidently counts the reference rows; here the reference is a whole
 *   training set (always large), so the smaller side decides: a window of a few hundred requests gets
 *   a hypothesis test that accounts for its size, a month of traffic gets a distance that does not
 *   flag trivial shifts merely because n is huge.
 *
 * PSI over the profile's own bins is reported for every column, the same number the service's live
 * gauges compute. With `stattest: psi` it is the deciding test instead.
 */
export type DriftTest = 'ks' | 'wasserstein' | 'chisquare' | 'jensenshannon' | 'z' | 'psi';

export interface Histogram {
  /** Bin labels in order (value ranges for numerics, categories for categoricals). */
  labels: string[];
  /** Shares of non-missing rows per bin (numeric) or of all rows (categorical). */
  reference: number[];
  current: number[];
}

export interface FeatureDrift {
  feature: string;
  kind: 'numeric' | 'categorical';
  test: DriftTest;
  /** KS D, normalised Wasserstein, chi-square, Jensen–Shannon distance, z or PSI. */
  statistic: number;
  /** For hypothesis tests (ks, chisquare, z). */
  pValue: number | null;
  /** The number compared with the threshold: the p-value for tests, the statistic for distances. */
  score: number;
  threshold: number;
  drifted: boolean;
  psi: number;
  /** PSI at or above `psi` threshold (reported even when another test decides). */
  psiDrifted: boolean;
  rows: { reference: number; current: number };
  missingShare: { reference: number; current: number };
  /** Reference and current means (numeric only). */
  mean?: { reference: number; current: number };
  histogram: Histogram;
}

export type DriftThresholds = Pick<DriftSpec, 'p_value' | 'distance' | 'psi'> & {
  stattest?: 'auto' | 'psi';
  /** Rows at or below which hypothesis tests are used (Evidently: 1000). */
  smallSample?: number;
};

export const SMALL_SAMPLE_ROWS = 1000;
/** Evidently treats numeric columns with at most this many distinct values as categorical. */
const FEW_VALUES = 5;
/** Evidently floors the normalising std so a constant reference does not divide by zero. */
const MIN_NORM_STD = 0.001;

export function numericDrift(
  feature: string,
  profile: NumericFeatureProfile,
  values: ArrayLike<number>,
  thresholds: DriftThresholds,
): FeatureDrift {
  // One pass: non-missing values into a typed array (to sort) and counts over the profile's bins.
  const present = new Float64Array(values.length);
  const counts = new Array<number>(profile.counts.length).fill(0);
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    present[n++] = v;
    sum += v;
    counts[binIndex(profile.edges, v)]++;
  }
  const current = sortValues(present.subarray(0, n));
  const psi = populationStabilityIndex(profile.counts, counts);
  const base = {
    feature,
    kind: 'numeric' as const,
    psi,
    psiDrifted: psi >= thresholds.psi,
    rows: { reference: profile.count, current: n },
    missingShare: {
      reference: share(profile.missing, profile.count + profile.missing),
      current: share(values.length - n, values.length),
    },
    mean: { reference: profile.mean, current: n > 0 ? sum / n : Number.NaN },
    histogram: numericHistogram(profile, counts),
  };
  if (n === 0) return { ...base, ...verdict('psi', psi, null, thresholds.psi, false) };
  if (thresholds.stattest === 'psi') return { ...base, ...distanceVerdict('psi', psi, thresholds.psi) };
  const small = Math.min(profile.count, n) <= (thresholds.smallSample ?? SMALL_SAMPLE_ROWS);
  // Evidently counts distinct values over reference and current together.
  const distinct = distinctSorted(profile.sample);
  if (distinct.length <= FEW_VALUES && distinctUnion(distinct, current) <= FEW_VALUES) {
    // Few values: compare value frequencies as categories (reference frequencies from its sample).
    const index = new Map(distinct.map((v, k) => [v, k]));
    const ref = new Array<number>(distinct.length + 1).fill(0);
    const cur = new Array<number>(distinct.length + 1).fill(0);
    for (const v of profile.sample) ref[index.get(v)!]++;
    for (const v of current) cur[index.get(v) ?? distinct.length]++;
    return { ...base, ...categoricalTest(ref, cur, small, thresholds) };
  }
  if (small) {
    const ks = ks2Samp(profile.sample, current);
    return { ...base, ...pValueVerdict('ks', ks.statistic, ks.pValue, thresholds.p_value) };
  }
  const norm = Math.max(profile.std, MIN_NORM_STD);
  const distance = wassersteinDistance(profile.sample, current) / norm;
  return { ...base, ...distanceVerdict('wasserstein', distance, thresholds.distance) };
}

/** Current values of a categorical column: dictionary codes (MISSING_CODE or '' is missing). */
export function categoricalDrift(
  feature: string,
  profile: CategoricalFeatureProfile,
  column: CategoricalColumn,
  thresholds: DriftThresholds,
): FeatureDrift {
  const keys = categoricalBins(profile);
  const position = new Map(keys.map((key, k) => [key, k]));
  const other = position.get('__other__')!;
  const missing = position.get('__missing__')!;
  // Map each dictionary entry to its bin once, then count codes: O(rows) with no string work per row.
  const binOfCode = Int32Array.from(column.dictionary, (name) =>
    name === '' ? missing : (position.get(name) ?? other),
  );
  const counts = new Array<number>(keys.length).fill(0);
  for (let i = 0; i < column.codes.length; i++) {
    const code = column.codes[i];
    counts[code < 0 ? missing : binOfCode[code]]++;
  }
  const reference = keys.map((key) =>
    key === '__other__' ? profile.other : key === '__missing__' ? profile.missing : profile.categories[key],
  );
  const psi = populationStabilityIndex(reference, counts);
  const currentRows = column.codes.length - counts[missing];
  const base = {
    feature,
    kind: 'categorical' as const,
    psi,
    psiDrifted: psi >= thresholds.psi,
    rows: { reference: profile.count, current: currentRows },
    missingShare: {
      reference: share(profile.missing, profile.count + profile.missing),
      current: share(counts[missing], column.codes.length),
    },
    histogram: categoricalHistogram(keys, reference, counts),
  };
  if (currentRows === 0) return { ...base, ...verdict('psi', psi, null, thresholds.psi, false) };
  if (thresholds.stattest === 'psi') return { ...base, ...distanceVerdict('psi', psi, thresholds.psi) };
  // The tests leave missing values out, as Evidently drops NaN before testing.
  const ref = reference.slice(0, missing);
  const cur = counts.slice(0, missing);
  const small = Math.min(profile.count, currentRows) <= (thresholds.smallSample ?? SMALL_SAMPLE_ROWS);
  return { ...base, ...categoricalTest(ref, cur, small, thresholds) };
}

type Verdict = Pick<FeatureDrift, 'test' | 'statistic' | 'pValue' | 'score' | 'threshold' | 'drifted'>;

/**
 * Chi-square on small data (the two-proportion z-test when only two values occur on either side),
 * Jensen–Shannon on large; bins empty on both sides are ignored, as Evidently keys its counts by
 * the values that occur.
 */
function categoricalTest(
  reference: number[],
  current: number[],
  small: boolean,
  thresholds: DriftThresholds,
): Verdict {
  const used = reference.map((r, k) => r > 0 || current[k] > 0);
  const ref = reference.filter((_, k) => used[k]);
  const cur = current.filter((_, k) => used[k]);
  const refTotal = ref.reduce((a, b) => a + b, 0);
  const curTotal = cur.reduce((a, b) => a + b, 0);
  if (small && ref.length <= 2) {
    if (ref.length < 2) return pValueVerdict('z', 0, 1, thresholds.p_value);
    const z = proportionsZTest(ref[0], refTotal, cur[0], curTotal);
    return pValueVerdict('z', z.statistic, z.pValue, thresholds.p_value);
  }
  if (small) {
    const expected = ref.map((r) => (r * curTotal) / refTotal);
    const chi = chiSquare(cur, expected);
    return pValueVerdict('chisquare', chi.statistic, chi.pValue, thresholds.p_value);
  }
  // Shares as they are (Evidently's Jensen–Shannon does not fill empty bins), then scipy's jensenshannon.
  return distanceVerdict('jensenshannon', jensenShannonDistance(ref, cur), thresholds.distance);
}

function pValueVerdict(test: DriftTest, statistic: number, pValue: number, threshold: number): Verdict {
  return verdict(test, statistic, pValue, threshold, pValue < threshold);
}

function distanceVerdict(test: DriftTest, statistic: number, threshold: number): Verdict {
  return verdict(test, statistic, null, threshold, statistic >= threshold);
}

function verdict(
  test: DriftTest,
  statistic: number,
  pValue: number | null,
  threshold: number,
  drifted: boolean,
): Verdict {
  return { test, statistic, pValue, score: pValue ?? statistic, threshold, drifted };
}

function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

/** Most distinct values for which counting beats a comparison sort. */
const COUNTING_SORT_MAX_DISTINCT = 4096;

/**
 * Sorts in place. Served features are often integers with few distinct values (hours, weekdays,
 * miles): counting those and writing them back in order is several times faster than sorting
 * half a million doubles; anything with more distinct values falls back to the typed-array sort.
 */
export function sortValues(values: Float64Array): Float64Array {
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const c = counts.get(v);
    if (c !== undefined) counts.set(v, c + 1);
    else if (counts.size === COUNTING_SORT_MAX_DISTINCT) return values.sort();
    else counts.set(v, 1);
  }
  const keys = Float64Array.from(counts.keys()).sort();
  let at = 0;
  for (const key of keys) {
    const c = counts.get(key)!;
    values.fill(key, at, at + c);
    at += c;
  }
  return values;
}

/** Distinct values in `known` and the sorted `values` together, counting no further than FEW_VALUES + 1. */
function distinctUnion(known: number[], values: ArrayLike<number>): number {
  const seen = new Set(known);
  for (let i = 0; i < values.length && seen.size <= FEW_VALUES; i++) {
    if (i === 0 || values[i] !== values[i - 1]) seen.add(values[i]);
  }
  return seen.size;
}

/** Distinct values of a sorted array, stopping early once there are more than FEW_VALUES. */
function distinctSorted(sorted: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (out.length === 0 || sorted[i] !== out[out.length - 1]) {
      out.push(sorted[i]);
      if (out.length > FEW_VALUES) break;
    }
  }
  return out;
}

function numericHistogram(profile: NumericFeatureProfile, counts: number[]): Histogram {
  const { edges } = profile;
  const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(3));
  const labels = counts.map((_, k) => {
    if (edges.length === 0) return 'all';
    if (k === 0) return `≤ ${fmt(edges[0])}`;
    if (k === edges.length) return `> ${fmt(edges[k - 1])}`;
    // (n-1, n] of integer data holds just n.
    if (Number.isInteger(edges[k - 1]) && edges[k] === edges[k - 1] + 1) return fmt(edges[k]);
    return `${fmt(edges[k - 1])}–${fmt(edges[k])}`;
  });
  return { labels, reference: shares(profile.counts), current: shares(counts) };
}

/** Top categories by reference share (at most 20 shown), the rest summed as "(other)". */
function categoricalHistogram(keys: string[], reference: number[], current: number[]): Histogram {
  const order = keys.map((_, k) => k).sort((a, b) => reference[b] + current[b] - (reference[a] + current[a]));
  const shown = order.slice(0, 20);
  const rest = order.slice(20);
  const refShares = shares(reference);
  const curShares = shares(current);
  const label = (key: string) =>
    key === '__other__' ? '(other)' : key === '__missing__' ? '(missing)' : key;
  const hist: Histogram = {
    labels: shown.map((k) => label(keys[k])),
    reference: shown.map((k) => refShares[k]),
    current: shown.map((k) => curShares[k]),
  };
  if (rest.length > 0) {
    hist.labels.push(`(${rest.length} more)`);
    hist.reference.push(rest.reduce((a, k) => a + refShares[k], 0));
    hist.current.push(rest.reduce((a, k) => a + curShares[k], 0));
  }
  return hist;
}

function shares(counts: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}
