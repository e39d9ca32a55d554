import { describe, expect, it } from 'vitest';
import { categoricalProfile, numericProfile } from '../profile/build.ts';
import { categoricalDrift, type DriftThresholds, numericDrift, sortValues } from './compare.ts';
import { chiSquare, jensenShannonDistance, ks2Samp, wassersteinDistance } from './stats.ts';

const thresholds: DriftThresholds = { p_value: 0.05, distance: 0.1, psi: 0.2 };

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const column = (values: string[]) => {
  const dictionary = [...new Set(values.filter((v) => v !== ''))];
  return {
    kind: 'categorical' as const,
    codes: Int32Array.from(values, (v) => (v === '' ? -1 : dictionary.indexOf(v))),
    dictionary,
  };
};

describe('choice of test (Evidently defaults)', () => {
  const random = lcg(3);
  const reference = numericProfile(Float64Array.from({ length: 20_000 }, () => random() * 100));

  it('numeric, large window: normalised Wasserstein over the reference sample', () => {
    const current = Float64Array.from({ length: 5000 }, () => 10 + random() * 100);
    const result = numericDrift('x', reference, current, thresholds);
    expect(result.test).toBe('wasserstein');
    const expected =
      wassersteinDistance(
        reference.sample,
        [...current].sort((a, b) => a - b),
      ) / reference.std;
    expect(result.statistic).toBeCloseTo(expected, 12);
    expect(result.drifted).toBe(result.statistic >= 0.1);
    expect(result.drifted).toBe(true);
  });

  it('numeric, small window: two-sample KS against the reference sample', () => {
    const current = Float64Array.from({ length: 300 }, () => random() * 100);
    const result = numericDrift('x', reference, current, thresholds);
    expect(result.test).toBe('ks');
    const ks = ks2Samp(
      reference.sample,
      [...current].sort((a, b) => a - b),
    );
    expect(result.pValue).toBe(ks.pValue);
    expect(result.drifted).toBe(ks.pValue < 0.05);
  });

  it('numeric with at most 5 values is compared as categories', () => {
    const few = numericProfile(Float64Array.from({ length: 10_000 }, (_, i) => i % 3));
    const large = numericDrift(
      'k',
      few,
      Float64Array.from({ length: 3000 }, (_, i) => (i % 4 === 0 ? 0 : 1)),
      thresholds,
    );
    expect(large.test).toBe('jensenshannon');
    const small = numericDrift(
      'k',
      few,
      Float64Array.from({ length: 300 }, (_, i) => i % 3),
      thresholds,
    );
    expect(small.test).toBe('chisquare');
    expect(small.drifted).toBe(false);
    const binary = numericProfile(Float64Array.from({ length: 10_000 }, (_, i) => (i % 5 === 0 ? 1 : 0)));
    const z = numericDrift(
      'b',
      binary,
      Float64Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? 1 : 0)),
      thresholds,
    );
    expect(z.test).toBe('z');
    expect(z.drifted).toBe(true);
  });

  it('categorical: chi-square (small) and Jensen–Shannon (large) over reference and current counts', () => {
    const ref = categoricalProfile(
      column(Array.from({ length: 10_000 }, (_, i) => ['a', 'b', 'c', 'd'][i % 4])),
    );
    const smallValues = Array.from({ length: 400 }, (_, i) => ['a', 'b', 'c', 'd'][i % 4 === 3 ? 0 : i % 4]);
    const small = categoricalDrift('c', ref, column(smallValues), thresholds);
    expect(small.test).toBe('chisquare');
    // a: 200, b: 100, c: 100, d: 0 against 100 each expected.
    expect(small.pValue).toBe(chiSquare([200, 100, 100, 0], [100, 100, 100, 100]).pValue);
    expect(small.drifted).toBe(true);
    const large = categoricalDrift(
      'c',
      ref,
      column([...smallValues, ...smallValues, ...smallValues]),
      thresholds,
    );
    expect(large.test).toBe('jensenshannon');
    expect(large.statistic).toBeCloseTo(
      jensenShannonDistance([0.25, 0.25, 0.25, 0.25], [0.5, 0.25, 0.25, 0]),
      12,
    );
  });

  it('a category never seen in training is certain drift on small data', () => {
    const ref = categoricalProfile(column(Array.from({ length: 5000 }, (_, i) => ['a', 'b', 'c'][i % 3])));
    const result = categoricalDrift(
      'c',
      ref,
      column(Array.from({ length: 300 }, (_, i) => ['a', 'b', 'c', 'new'][i % 4])),
      thresholds,
    );
    expect(result.pValue).toBe(0);
    expect(result.drifted).toBe(true);
    expect(result.histogram.labels).toContain('(other)');
  });

  it('leaves missing values out of the tests but counts them in PSI', () => {
    const ref = categoricalProfile(column(Array.from({ length: 5000 }, (_, i) => ['a', 'b'][i % 2])));
    const values = Array.from({ length: 4000 }, (_, i) => (i % 2 === 0 ? '' : ['a', 'b'][(i >> 1) % 2]));
    const result = categoricalDrift('c', ref, column(values), thresholds);
    expect(result.test).toBe('jensenshannon');
    expect(result.statistic).toBeCloseTo(0, 12);
    expect(result.missingShare.current).toBe(0.5);
    expect(result.psi).toBeGreaterThan(1);
  });

  it('stattest psi makes PSI the deciding test', () => {
    const current = Float64Array.from({ length: 3000 }, () => random() * 100);
    const result = numericDrift('x', reference, current, { ...thresholds, stattest: 'psi' });
    expect(result.test).toBe('psi');
    expect(result.statistic).toBe(result.psi);
    expect(result.drifted).toBe(result.psi >= 0.2);
  });
});

describe('sortValues', () => {
  it('sorts like the typed-array sort, by counting when values are few', () => {
    const random = lcg(9);
    const few = Float64Array.from({ length: 10_000 }, () => Math.floor(random() * 24) - 3.5);
    expect(Array.from(sortValues(few.slice()))).toEqual(Array.from(few.slice().sort()));
    const many = Float64Array.from({ length: 10_000 }, () => random());
    expect(Array.from(sortValues(many.slice()))).toEqual(Array.from(many.slice().sort()));
    const zeros = Float64Array.from([0, -0, 1, -0, 0]);
    expect(Array.from(sortValues(zeros.slice())).map((v) => (Object.is(v, -0) ? 0 : v))).toEqual([
      0, 0, 0, 0, 1,
    ]);
  });
});
