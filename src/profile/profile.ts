/**
 * `profile.json`: the reference distributions a model was trained on, written beside the model by
 * `train` and read by the service's live drift gauges and by `drift-check`. Both compare against
 * the same bins, so their population stability indices agree on the same window.
 */
export interface NumericFeatureProfile {
  kind: 'numeric';
  count: number;
  missing: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Interior bin edges (ascending, from reference quantiles); bins are (-inf, e0], (e0, e1], ..., (eK-1, +inf). */
  edges: number[];
  /** Reference counts per bin, length edges.length + 1. */
  counts: number[];
  /** A uniform sample of reference values (sorted), for KS and Wasserstein tests. */
  sample: number[];
}

export interface CategoricalFeatureProfile {
  kind: 'categorical';
  count: number;
  missing: number;
  /** Reference count per category; rare ones beyond the top categories are summed in `other`. */
  categories: Record<string, number>;
  other: number;
}

export type FeatureProfile = NumericFeatureProfile | CategoricalFeatureProfile;

export interface Profile {
  schema: 1;
  model: string;
  runId: string;
  rows: number;
  features: Record<string, FeatureProfile>;
  /** Distribution of the predicted score (probability of the positive class, or the value). */
  score: NumericFeatureProfile;
}

/** Smallest share a bin may take in PSI, so an empty bin gives a large finite term, not infinity. */
export const PSI_EPSILON = 1e-4;

/** Population stability index between two count vectors over the same bins. */
export function populationStabilityIndex(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  if (reference.length !== current.length) throw new Error('PSI needs count vectors over the same bins');
  let refTotal = 0;
  let curTotal = 0;
  for (let i = 0; i < reference.length; i++) {
    refTotal += reference[i];
    curTotal += current[i];
  }
  if (refTotal === 0 || curTotal === 0) return 0;
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const expected = Math.max(reference[i] / refTotal, PSI_EPSILON);
    const actual = Math.max(current[i] / curTotal, PSI_EPSILON);
    psi += (actual - expected) * Math.log(actual / expected);
  }
  return psi;
}

/** Index of the bin a numeric value falls in, for the edges of a numeric profile. */
export function binIndex(edges: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Bin keys of a categorical profile, in a fixed order: the categories, then `other`, then missing. */
export function categoricalBins(profile: CategoricalFeatureProfile): string[] {
  return [...Object.keys(profile.categories).sort(), '__other__', '__missing__'];
}
