import { describe, expect, it } from 'vitest';
import { runSearch, searchCandidates } from './search.ts';

describe('search candidates', () => {
  it('draws random trials reproducibly within the ranges', () => {
    const search = {
      method: 'random' as const,
      trials: 50,
      metric: 'auc',
      seed: 3,
      space: {
        depth: { min: 2, max: 8, int: true, log: false },
        learning_rate: { min: 0.01, max: 0.3, log: true, int: false },
        loss: ['a', 'b'],
      },
    };
    const first = searchCandidates(search, { trees: 10 });
    expect(searchCandidates(search, { trees: 10 })).toEqual(first);
    expect(first).toHaveLength(50);
    for (const params of first) {
      expect(params.trees).toBe(10);
      expect(Number.isInteger(params.depth)).toBe(true);
      expect(params.depth).toBeGreaterThanOrEqual(2);
      expect(params.depth).toBeLessThanOrEqual(8);
      expect(params.learning_rate).toBeGreaterThanOrEqual(0.01);
      expect(params.learning_rate).toBeLessThanOrEqual(0.3);
      expect(['a', 'b']).toContain(params.loss);
    }
    // Every integer of the range and both choices come up in 50 draws.
    expect(new Set(first.map((p) => p.depth)).size).toBe(7);
    expect(new Set(first.map((p) => p.loss)).size).toBe(2);
    expect(searchCandidates({ ...search, seed: 4 }, {})).not.toEqual(first);
  });

  it('enumerates a grid: lists as given, ranges as evenly (log-)spaced points', () => {
    const grid = searchCandidates(
      {
        method: 'grid',
        trials: 1,
        metric: 'auc',
        seed: 0,
        space: { l2: { min: 0.01, max: 100, log: true, int: false }, depth: [3, 6] },
      },
      {},
    );
    expect(grid).toHaveLength(10);
    expect([...new Set(grid.map((p) => p.l2 as number))].map((v) => Number(v.toPrecision(6)))).toEqual([
      0.01, 0.1, 1, 10, 100,
    ]);
  });

  it('keeps every trial and picks the best by the metric direction', async () => {
    const search = {
      method: 'grid' as const,
      trials: 1,
      metric: 'log_loss',
      seed: 0,
      space: { x: [1, 2, 3] },
    };
    const outcome = await runSearch(search, searchCandidates(search, {}), async (params) => ({
      model: `model-${params.x}`,
      metrics: { log_loss: Math.abs((params.x as number) - 2) + 0.1, auc: 0.5 },
    }));
    expect(outcome.trials.map((t) => t.params.x)).toEqual([1, 2, 3]);
    expect(outcome.best).toBe(1);
    expect(outcome.bestModel).toBe('model-2');
  });

  it('names the available metrics when the search metric does not exist', async () => {
    const search = { method: 'grid' as const, trials: 1, metric: 'nope', seed: 0, space: { x: [1] } };
    await expect(
      runSearch(search, searchCandidates(search, {}), async () => ({ model: 1, metrics: { auc: 0.7 } })),
    ).rejects.toThrow(/search metric "nope".*use one of: auc/);
  });
});
