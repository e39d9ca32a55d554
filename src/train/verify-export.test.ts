import { describe, expect, it } from 'vitest';
import { EXPORT_TOLERANCE, verifyExport } from './train.ts';

describe('export verification', () => {
  const expected = Float64Array.from([0.1, 0.5, 0.9]);

  it('accepts onnxruntime scores within the tolerance', () => {
    const scored = Float64Array.from(expected, (p) => p + EXPORT_TOLERANCE / 2);
    expect(() => verifyExport(expected, scored, 'binary')).not.toThrow();
  });

  it('fails loudly, naming the row, when a score differs by more', () => {
    const scored = Float64Array.from([0.1, 0.5 + 3e-5, 0.9]);
    expect(() => verifyExport(expected, scored, 'binary')).toThrow(/ONNX export check failed.*test row 1/);
  });

  it('fails on NaN scores and on a row-count mismatch', () => {
    expect(() => verifyExport(expected, Float64Array.from([0.1, Number.NaN, 0.9]), 'binary')).toThrow(
      /test row 1/,
    );
    expect(() => verifyExport(expected, Float64Array.from([0.1]), 'binary')).toThrow(
      /1 scores from onnxruntime, 3/,
    );
  });

  it('judges regression values relative to their size', () => {
    const values = Float64Array.from([1000, -2000]);
    expect(() => verifyExport(values, Float64Array.from([1000.005, -2000.01]), 'regression')).not.toThrow();
    expect(() => verifyExport(values, Float64Array.from([1000.5, -2000]), 'regression')).toThrow(
      /test row 0/,
    );
  });
});
