import { describe, expect, it } from 'vitest';
import { packBatch, unpackBatch } from '../../src/serve/wire.ts';

describe('packBatch / unpackBatch', () => {
  it('round-trips string and float columns, whatever the strings contain, without touching the originals', () => {
    const strings = ['LAS', '', 'a\u0000b', 'Zürich ✈', '\uD83D\uDE00', 'SFO'];
    const floats = Float32Array.from([1.5, Number.NaN, -0, 3e38, 0, 7]);
    const batch = { rows: 6, columns: [strings, floats] };
    const { packed, transfer } = packBatch(batch);
    const back = unpackBatch(structuredClone(packed, { transfer }));
    expect(back.columns[0]).toEqual(strings);
    expect(Array.from(back.columns[1] as Float32Array)).toEqual(Array.from(floats));
    // The caller's columns are still usable after the transfer.
    expect(floats.length).toBe(6);
    expect(strings[2]).toBe('a\u0000b');
  });
});
