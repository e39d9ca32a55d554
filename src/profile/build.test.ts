import { describe, expect, it } from 'vitest';
import type { ColumnarDataset } from '../dataset/columnar.ts';
import { buildProfile, categoricalProfile, numericProfile, quantileEdges } from './build.ts';
import { binIndex, categoricalBins, populationStabilityIndex } from './profile.ts';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function dataset(n: number): { data: ColumnarDataset; scores: Float64Array } {
  const random = lcg(7);
  const distance = new Float64Array(n);
  const hour = new Float64Array(n);
  const codes = new Int32Array(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    distance[i] = i % 50 === 0 ? Number.NaN : 100 + 2000 * random() ** 2;
    hour[i] = Math.floor(random() * 24);
    // Category k with weight ~ 1/(k+1): a long tail, plus some missing.
    codes[i] = i % 97 === 0 ? -1 : Math.floor(150 * random() ** 3);
    scores[i] = random();
  }
  const dictionary = Array.from({ length: 150 }, (_, k) => `C${k}`);
  return {
    data: {
      numRows: n,
      columns: {
        distance: { kind: 'numeric', values: distance },
        hour: { kind: 'numeric', values: hour },
        origin: { kind: 'categorical', codes, dictionary },
      },
    },
    scores,
  };
}

describe('buildProfile', () => {
  const { data, scores } = dataset(200_000);
  const features = [
    { name: 'distance', kind: 'numeric' as const },
    { name: 'hour', kind: 'numeric' as const },
    { name: 'origin', kind: 'categorical' as const },
  ];
  const profile = buildProfile({ model: 'flights', runId: 'r1', dataset: data, features, scores });

  it('bins a continuous column into near-equal-mass quantile bins with exact counts', () => {
    const p = profile.features.distance;
    if (p.kind !== 'numeric') throw new Error('expected numeric');
    expect(p.missing).toBe(4000);
    expect(p.count).toBe(196_000);
    expect(p.counts.reduce((a, b) => a + b, 0)).toBe(p.count);
    expect(p.edges.length).toBe(9);
    for (let i = 1; i < p.edges.length; i++) expect(p.edges[i]).toBeGreaterThan(p.edges[i - 1]);
    for (const c of p.counts) expect(c / p.count).toBeCloseTo(0.1, 1);
    // Counts agree with binIndex over the whole column as served (float32), which the live gauges do.
    const values = (data.columns.distance as { values: Float64Array }).values;
    const recount = new Array(p.counts.length).fill(0);
    for (const v of values) if (!Number.isNaN(v)) recount[binIndex(p.edges, Math.fround(v))]++;
    expect(recount).toEqual(p.counts);
    expect(p.min).toBeGreaterThanOrEqual(100);
    expect(p.max).toBeLessThanOrEqual(2100);
    expect(p.mean).toBeCloseTo(100 + 2000 / 3, -1);
  });

  it('keeps a sorted uniform sample of the requested size', () => {
    const p = profile.features.distance;
    if (p.kind !== 'numeric') throw new Error('expected numeric');
    expect(p.sample.length).toBe(5000);
    for (let i = 1; i < p.sample.length; i++) expect(p.sample[i]).toBeGreaterThanOrEqual(p.sample[i - 1]);
    // The sample's median is close to the column's (uniform, not the head of the column).
    const median = p.sample[2500];
    expect(median).toBeGreaterThan(100 + 2000 * 0.45 ** 2);
    expect(median).toBeLessThan(100 + 2000 * 0.55 ** 2);
  });

  it('gives discrete columns one bin per value range without duplicate edges', () => {
    const p = profile.features.hour;
    if (p.kind !== 'numeric') throw new Error('expected numeric');
    expect(new Set(p.edges).size).toBe(p.edges.length);
    for (const edge of p.edges) expect(Number.isInteger(edge)).toBe(true);
  });

  it('keeps the top 100 categories by name and sums the rest in other', () => {
    const p = profile.features.origin;
    if (p.kind !== 'categorical') throw new Error('expected categorical');
    expect(Object.keys(p.categories).length).toBe(100);
    expect(p.missing).toBe(Math.ceil(200_000 / 97));
    const named = Object.values(p.categories).reduce((a, b) => a + b, 0);
    expect(named + p.other).toBe(p.count);
    expect(p.categories.C0).toBeGreaterThan(p.categories.C50);
    expect(categoricalBins(p)).toHaveLength(102);
  });

  it('profiles the score and is deterministic', () => {
    expect(profile.score.count).toBe(200_000);
    expect(profile.rows).toBe(200_000);
    const again = buildProfile({ model: 'flights', runId: 'r1', dataset: data, features, scores });
    expect(JSON.stringify(again)).toBe(JSON.stringify(profile));
  });

  it('scores a resample of the reference as stable (PSI near 0)', () => {
    const p = profile.features.distance;
    if (p.kind !== 'numeric') throw new Error('expected numeric');
    const current = new Array(p.counts.length).fill(0);
    for (const v of p.sample) current[binIndex(p.edges, v)]++;
    expect(populationStabilityIndex(p.counts, current)).toBeLessThan(0.02);
  });

  it('rejects scores of the wrong length and kind mismatches', () => {
    expect(() =>
      buildProfile({ model: 'm', runId: 'r', dataset: data, features, scores: new Float64Array(3) }),
    ).toThrow(/scores/);
    expect(() =>
      buildProfile({
        model: 'm',
        runId: 'r',
        dataset: data,
        features: [{ name: 'origin', kind: 'numeric' }],
        scores,
      }),
    ).toThrow(/categorical/);
  });
});

describe('profile pieces', () => {
  it('handles an all-missing and a constant column', () => {
    expect(numericProfile(new Float64Array([Number.NaN, Number.NaN])).count).toBe(0);
    const constant = numericProfile(new Float64Array(100).fill(3));
    expect(constant.edges).toEqual([3]);
    expect(constant.counts).toEqual([100, 0]);
    expect(constant.std).toBe(0);
  });

  it('puts a binary column in two bins', () => {
    const values = new Float64Array(1000).map((_, i) => (i % 5 === 0 ? 1 : 0));
    const p = numericProfile(values);
    expect(p.edges).toEqual([0]);
    expect(p.counts).toEqual([800, 200]);
  });

  it('reads quantile edges as order statistics', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i);
    expect(quantileEdges(sorted, 4)).toEqual([25, 50, 75]);
  });

  it('merges repeated dictionary strings', () => {
    const p = categoricalProfile({
      kind: 'categorical',
      codes: Int32Array.from([0, 1, 2, -1]),
      dictionary: ['a', 'b', 'a'],
    });
    expect(p.categories).toEqual({ a: 2, b: 1 });
    expect(p.missing).toBe(1);
  });
});

describe('float32 precision', () => {
  it('bins values as the service sees them (float tensors)', () => {
    const values = Float64Array.from({ length: 1000 }, (_, i) => [0.1, 0.2, 0.3, 0.7][i % 4]);
    const p = numericProfile(values);
    expect(p.edges).toEqual([Math.fround(0.1), Math.fround(0.2), Math.fround(0.3)]);
    // What the service captures for 0.1 falls in the same bin as the training rows of 0.1.
    expect(binIndex(p.edges, Math.fround(0.1))).toBe(0);
    expect(p.counts).toEqual([250, 250, 250, 250]);
    for (const v of p.sample) expect(Math.fround(v)).toBe(v);
  });
});
