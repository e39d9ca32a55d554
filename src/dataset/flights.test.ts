import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dirId, md5Bytes, readLock } from '../data/index.ts';
import { FLIGHT_MONTHS, flightsSourcePath, splitFlightsByMonth } from './flights.ts';

describe('flights ingest', () => {
  it('regenerates exactly the bytes the committed data.lock records', async () => {
    const months = await splitFlightsByMonth(flightsSourcePath());
    expect(months.map((m) => m.month)).toEqual([...FLIGHT_MONTHS]);
    // 3,000,000 rows less the six dated 2001-07-01, which belong to no month of January-June.
    expect(months.reduce((sum, m) => sum + m.rows, 0)).toBe(2_999_994);

    const lock = await readLock(join(import.meta.dirname, '..', '..', 'data.lock'));
    const tracked = lock.outs.find((out) => out.path === 'data/flights');
    const manifest = dirId(months.map((m) => ({ md5: md5Bytes(m.bytes), relpath: `${m.month}.parquet` })));
    expect(manifest.id).toBe(tracked?.md5);
    expect(months.reduce((sum, m) => sum + m.bytes.length, 0)).toBe(tracked?.size);
  }, 120_000);
});
