/**
 * Small synthetic "flights-like" traffic for drift tests: two numeric features (a continuous one
 * and an hour), one categorical with a long tail and some missing values, and a score that depends
 * on them. `shift` moves every distribution, so a shifted window must be called drifted.
 */
import type { CaptureRecord } from '../../src/capture/format.ts';
import type { FeatureSpec } from '../../src/config/spec.ts';
import type { ColumnarDataset } from '../../src/dataset/columnar.ts';

export const FEATURES: FeatureSpec[] = [
  { name: 'distance', kind: 'numeric' },
  { name: 'dep_hour', kind: 'numeric' },
  { name: 'origin', kind: 'categorical' },
];

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export interface Row {
  distance: number;
  dep_hour: number;
  origin: string;
  score: number;
  label: number;
}

export function rows(n: number, seed: number, shift = 0): Row[] {
  const random = lcg(seed);
  const out: Row[] = [];
  for (let i = 0; i < n; i++) {
    const distance = Math.round(100 + 2400 * random() ** (2 - shift) + 400 * shift);
    const dep_hour = Math.min(23, Math.floor(6 + 17 * random() ** (1 + shift)));
    const k = Math.floor(30 * random() ** (3 - 2 * shift));
    const origin = random() < 0.01 ? '' : `A${String(k).padStart(2, '0')}`;
    // A function of the features only, as a model's score is.
    const score = Math.min(0.99, Math.max(0.01, 0.1 + dep_hour / 60 + (k % 5) / 40 + distance / 25_000));
    out.push({ distance, dep_hour, origin, score, label: random() < score ? 1 : 0 });
  }
  return out;
}

export function toDataset(data: Row[]): {
  dataset: ColumnarDataset;
  scores: Float64Array;
  labels: Float64Array;
} {
  const dictionary: string[] = [];
  const index = new Map<string, number>();
  const codes = Int32Array.from(data, (r) => {
    if (r.origin === '') return -1;
    let code = index.get(r.origin);
    if (code === undefined) {
      code = dictionary.length;
      index.set(r.origin, code);
      dictionary.push(r.origin);
    }
    return code;
  });
  return {
    dataset: {
      numRows: data.length,
      columns: {
        distance: { kind: 'numeric', values: Float64Array.from(data, (r) => r.distance) },
        dep_hour: { kind: 'numeric', values: Float64Array.from(data, (r) => r.dep_hour) },
        origin: { kind: 'categorical', codes, dictionary },
      },
    },
    scores: Float64Array.from(data, (r) => r.score),
    labels: Float64Array.from(data, (r) => r.label),
  };
}

/** Capture records as the service writes them: numbers through float32, missing categoricals as ''. */
export function toRecords(data: Row[], start: Date, model = 'flights', version = 1): CaptureRecord[] {
  return data.map((r, i) => ({
    ts: new Date(start.getTime() + i * 100).toISOString(),
    id: `req-${i}`,
    model,
    version,
    inputs: { distance: Math.fround(r.distance), dep_hour: Math.fround(r.dep_hour), origin: r.origin },
    outputs: { score: Math.fround(r.score), label: r.score >= 0.5 ? 1 : 0 },
  }));
}
