import type { FeatureSpec } from '../config/spec.ts';
import type { CategoricalColumn, ColumnarDataset } from '../dataset/columnar.ts';
import { MISSING_CODE } from '../dataset/columnar.ts';
import {
  binIndex,
  type CategoricalFeatureProfile,
  type NumericFeatureProfile,
  type Profile,
} from './profile.ts';

/**
 * Builds the reference profile of a training set: per feature and for the predicted score, the
 * distributions that drift-check (batch) and the service's gauges (live) compare traffic against.
 *
 * Runs in one or two linear passes per column over typed arrays; only a bounded random sample is
 * ever sorted, so two million rows cost tens of milliseconds per column.
 */
export interface BuildProfileOptions {
  model: string;
  runId: string;
  dataset: ColumnarDataset;
  features: FeatureSpec[];
  /** Predicted score per row (probability of the positive class, or the value). */
  scores: Float64Array;
  /** Number of quantile bins for numeric columns (interior edges = bins - 1, fewer after deduplication). */
  bins?: number;
  /** Size of the sorted sample kept for KS and Wasserstein tests. */
  sampleSize?: number;
  /** Most categories kept by name; the rest are summed in `other`. */
  maxCategories?: number;
}

export const DEFAULT_BINS = 10;
export const DEFAULT_SAMPLE_SIZE = 5000;
export const DEFAULT_MAX_CATEGORIES = 100;
/** Quantile edges are read from a larger sample than the one stored, so bins are close to equal-mass. */
const EDGE_SAMPLE_SIZE = 50_000;

export function buildProfile(options: BuildProfileOptions): Profile {
  const { dataset, features, scores } = options;
  const bins = options.bins ?? DEFAULT_BINS;
  const sampleSize = options.sampleSize ?? DEFAULT_SAMPLE_SIZE;
  const maxCategories = options.maxCategories ?? DEFAULT_MAX_CATEGORIES;
  if (!Number.isInteger(bins) || bins < 2) throw new Error(`bins must be an integer >= 2, got ${bins}`);
  if (scores.length !== dataset.numRows) {
    throw new Error(`scores has ${scores.length} rows but the data set has ${dataset.numRows}`);
  }
  const out: Profile['features'] = {};
  for (const feature of features) {
    const column = dataset.columns[feature.name];
    if (!column) throw new Error(`feature ${feature.name} is not a column of the data set`);
    if (column.kind !== feature.kind) {
      throw new Error(
        `feature ${feature.name} is ${feature.kind} in the spec but ${column.kind} in the data`,
      );
    }
    out[feature.name] =
      column.kind === 'numeric'
        ? numericProfile(column.values, bins, sampleSize, seedOf(feature.name))
        : categoricalProfile(column, maxCategories);
  }
  return {
    schema: 1,
    model: options.model,
    runId: options.runId,
    rows: dataset.numRows,
    features: out,
    score: numericProfile(scores, bins, sampleSize, seedOf('__score__')),
  };
}

/**
 * Profile of one numeric column; NaN counts as missing. Deterministic for a given seed.
 *
 * Values are taken as float32, the precision the model receives them in (float tensors) and the
 * service captures them in; otherwise a value like 0.1 would sit right of an edge at 0.1 in serving
 * (float32(0.1) > 0.1) and left of it in training, and the bins would disagree.
 */
export function numericProfile(
  input: Float64Array,
  bins = DEFAULT_BINS,
  sampleSize = DEFAULT_SAMPLE_SIZE,
  seed = 1,
): NumericFeatureProfile {
  const values = Float64Array.from(Float32Array.from(input));
  // Pass 1: moments and range (Welford, stable for large columns).
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    count++;
    const delta = v - mean;
    mean += delta / count;
    m2 += delta * (v - mean);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const missing = values.length - count;
  if (count === 0) {
    return {
      kind: 'numeric',
      count: 0,
      missing,
      mean: 0,
      std: 0,
      min: 0,
      max: 0,
      edges: [],
      counts: [0],
      sample: [],
    };
  }
  const random = mulberry32(seed);
  // Pass 2: a uniform sample without replacement (selection sampling keeps row order, so it does not
  // matter how the rows are sorted); edges come from it, the stored sample is a uniform subset of it.
  const edgeSample = selectionSample(values, count, Math.min(EDGE_SAMPLE_SIZE, count), random).sort();
  const edges = quantileEdges(edgeSample, bins);
  // Pass 3: exact counts per bin over the whole column.
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isNaN(v)) counts[binIndex(edges, v)]++;
  }
  const sample = Array.from(
    selectionSample(edgeSample, edgeSample.length, Math.min(sampleSize, count), random),
  );
  return {
    kind: 'numeric',
    count,
    missing,
    mean,
    std: count > 1 ? Math.sqrt(m2 / (count - 1)) : 0,
    min,
    max,
    edges,
    counts,
    sample,
  };
}

/**
 * Interior edges at the reference quantiles 1/bins .. (bins-1)/bins, taken as observed values
 * (order statistics, not interpolations) so discrete features get one bin per value where they
 * have few values; duplicates collapse.
 */
export function quantileEdges(sorted: Float64Array, bins: number): number[] {
  const edges: number[] = [];
  const n = sorted.length;
  for (let i = 1; i < bins; i++) {
    const edge = sorted[Math.min(n - 1, Math.floor((i / bins) * n))];
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  // An edge at the maximum would leave an empty top bin in the reference; drop it unless it is the only one.
  if (edges.length > 1 && edges[edges.length - 1] >= sorted[n - 1]) edges.pop();
  return edges;
}

/** Profile of one dictionary-encoded column: the most frequent categories by name, the rest in `other`. */
export function categoricalProfile(
  column: CategoricalColumn,
  maxCategories = DEFAULT_MAX_CATEGORIES,
): CategoricalFeatureProfile {
  const { codes, dictionary } = column;
  const perCode = new Float64Array(dictionary.length);
  let missing = 0;
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    if (code === MISSING_CODE || code < 0) missing++;
    else perCode[code]++;
  }
  // Dictionaries may repeat a string (e.g. after concatenating parts); sum counts by name.
  const byName = new Map<string, number>();
  for (let code = 0; code < dictionary.length; code++) {
    if (perCode[code] > 0) byName.set(dictionary[code], (byName.get(dictionary[code]) ?? 0) + perCode[code]);
  }
  const ranked = [...byName].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const categories: Record<string, number> = {};
  let other = 0;
  ranked.forEach(([name, n], rank) => {
    if (rank < maxCategories) categories[name] = n;
    else other += n;
  });
  return { kind: 'categorical', count: codes.length - missing, missing, categories, other };
}

/**
 * Knuth's selection sampling (Algorithm S): exactly `size` of the `available` non-NaN values,
 * each subset equally likely, in their original order, one pass and one random number per value.
 */
function selectionSample(
  values: Float64Array,
  available: number,
  size: number,
  random: () => number,
): Float64Array {
  const out = new Float64Array(size);
  let taken = 0;
  let seen = 0;
  for (let i = 0; i < values.length && taken < size; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    if ((available - seen) * random() < size - taken) out[taken++] = v;
    seen++;
  }
  return out;
}

/** Small, fast, seedable PRNG; profiles must not change between runs on the same data. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seed per column name (FNV-1a), so adding a feature does not change the others' samples. */
function seedOf(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
