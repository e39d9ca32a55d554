import { describe, expect, it } from 'vitest';
import type { ColumnarDataset } from '../dataset/columnar.ts';
import { sliceDataset, timeOrderedSplit } from './split.ts';

describe('time-ordered validation split', () => {
  it('validates on the last file when there are several', () => {
    expect(timeOrderedSplit([500, 400, 300])).toEqual({
      trainRows: 900,
      validationRows: 300,
      rule: 'last-file',
    });
  });

  it('validates on the newest rows of a single file', () => {
    expect(timeOrderedSplit([1000])).toEqual({ trainRows: 800, validationRows: 200, rule: 'last-fraction' });
    expect(timeOrderedSplit([1000], 0.1).validationRows).toBe(100);
  });

  it('slices rows without copying and keeps the dictionaries', () => {
    const dataset: ColumnarDataset = {
      numRows: 4,
      columns: {
        x: { kind: 'numeric', values: Float64Array.from([1, 2, 3, 4]) },
        c: { kind: 'categorical', codes: Int32Array.from([0, 1, -1, 0]), dictionary: ['a', 'b'] },
      },
    };
    const tail = sliceDataset(dataset, 2, 4);
    expect(tail.numRows).toBe(2);
    const x = tail.columns.x as { values: Float64Array };
    expect(Array.from(x.values)).toEqual([3, 4]);
    expect(x.values.buffer).toBe((dataset.columns.x as { values: Float64Array }).values.buffer);
    const c = tail.columns.c as { codes: Int32Array; dictionary: string[] };
    expect(Array.from(c.codes)).toEqual([-1, 0]);
    expect(c.dictionary).toBe((dataset.columns.c as { dictionary: string[] }).dictionary);
    expect(() => sliceDataset(dataset, 3, 5)).toThrow(/outside/);
  });
});
