import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  chiSquare,
  jensenShannonDistance,
  ks2Samp,
  ksAsymptoticPValue,
  ksExactPValue,
  proportionsZTest,
  wassersteinDistance,
} from './stats.ts';

// Produced by scripts/drift-fixtures.py with Debian's python3-scipy; see the file for the version.
const fixtures = JSON.parse(
  readFileSync(new URL('../../test/fixtures/drift/scipy.json', import.meta.url), 'utf8'),
) as {
  ks_2samp: Array<{ name: string; a: number[]; b: number[]; statistic: number; pvalue: number }>;
  ks_asymp: Array<{ n1: number; n2: number; d: number; pvalue: number }>;
  wasserstein: Array<{ name: string; u: number[]; v: number[]; distance: number }>;
  chisquare: Array<{
    name: string;
    observed: number[];
    expected: number[];
    statistic: number;
    pvalue: number;
  }>;
  jensenshannon: Array<{ name: string; p: number[]; q: number[]; distance: number }>;
  ztest: Array<{ s1: number; n1: number; s2: number; n2: number; z: number; pvalue: number }>;
};

/** Relative tolerance, with an absolute floor for values near zero. */
function close(actual: number, expected: number, rel: number, abs = 1e-12): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(abs, rel * Math.abs(expected)));
}

describe('statistics against scipy', () => {
  for (const c of fixtures.ks_2samp) {
    it(`ks_2samp (exact): ${c.name}`, () => {
      const result = ks2Samp(c.a, c.b);
      expect(result.method).toBe('exact');
      close(result.statistic, c.statistic, 1e-12);
      close(result.pValue, c.pvalue, 1e-7, 1e-10);
    });
  }

  for (const c of fixtures.ks_asymp) {
    it(`ks asymptotic p-value n1=${c.n1} n2=${c.n2} d=${c.d} within 2% of scipy's kstwo`, () => {
      close(ksAsymptoticPValue(c.n1, c.n2, c.d), c.pvalue, 0.02, 1e-6);
    });
  }

  for (const c of fixtures.wasserstein) {
    it(`wasserstein_distance: ${c.name}`, () => close(wassersteinDistance(c.u, c.v), c.distance, 1e-10));
  }

  for (const c of fixtures.chisquare) {
    it(`chisquare: ${c.name}`, () => {
      const result = chiSquare(c.observed, c.expected);
      close(result.statistic, c.statistic, 1e-10);
      close(result.pValue, c.pvalue, 1e-8, 1e-300);
    });
  }

  for (const c of fixtures.jensenshannon) {
    it(`jensenshannon: ${c.name}`, () => close(jensenShannonDistance(c.p, c.q), c.distance, 1e-10));
  }

  for (const c of fixtures.ztest) {
    it(`two-proportion z-test ${c.s1}/${c.n1} vs ${c.s2}/${c.n2}`, () => {
      const result = proportionsZTest(c.s1, c.n1, c.s2, c.n2);
      close(result.statistic, c.z, 1e-12);
      close(result.pValue, c.pvalue, 1e-9, 1e-300);
    });
  }
});

describe('statistics edge cases', () => {
  it('identical samples: KS 0 with p 1, Wasserstein 0', () => {
    const a = [1, 2, 2, 3];
    expect(ks2Samp(a, a)).toMatchObject({ statistic: 0, pValue: 1 });
    expect(wassersteinDistance(a, a)).toBe(0);
  });

  it('fully separated samples give the smallest exact p-value', () => {
    // Only 2 of C(6,3)=20 orderings reach D=1 (all of one sample first).
    close(ksExactPValue(3, 3, 1), 0.1, 1e-12);
  });

  it('chi-square with an unexpected category is certain drift', () => {
    expect(chiSquare([5, 5, 1], [5.5, 5.5, 0]).pValue).toBe(0);
    expect(chiSquare([10, 0], [10, 0])).toMatchObject({ pValue: 1 });
  });
});
