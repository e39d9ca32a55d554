import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureSpec } from '../config/spec.ts';
import { UserError } from '../errors.ts';
import { categoricalColumn, MISSING_CODE, numericColumn } from './columnar.ts';
import { loadDataset } from './parquet.ts';

const features: FeatureSpec[] = [
  { name: 'origin', kind: 'categorical' },
  { name: 'distance', kind: 'numeric' },
];

let dir: string;
const write = async (
  name: string,
  origin: Array<string | null>,
  distance: Array<number | null>,
  delayed: boolean[],
) => {
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'origin', data: origin, type: 'STRING' },
      { name: 'distance', data: distance, type: 'INT32' },
      { name: 'delayed', data: delayed, type: 'BOOLEAN' },
    ],
  });
  await writeFile(join(dir, name), new Uint8Array(buffer));
  return join(dir, name);
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlship-parquet-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadDataset', () => {
  it('loads several files into typed columns with one dictionary per categorical', async () => {
    const a = await write('a.parquet', ['LAS', 'ATL', null], [100, null, 300], [true, false, false]);
    const b = await write('b.parquet', ['ATL', 'SFO'], [400, 500], [false, true]);
    const { dataset, labels, rowsPerFile } = await loadDataset([a, b], features, 'delayed');
    expect(dataset.numRows).toBe(5);
    expect(rowsPerFile).toEqual([3, 2]);
    const origin = categoricalColumn(dataset, 'origin');
    expect(origin.dictionary).toEqual(['LAS', 'ATL', 'SFO']);
    expect([...origin.codes]).toEqual([0, 1, MISSING_CODE, 1, 2]);
    const distance = numericColumn(dataset, 'distance');
    expect(distance).toBeInstanceOf(Float64Array);
    expect([...distance]).toEqual([100, Number.NaN, 300, 400, 500]);
    expect([...labels]).toEqual([1, 0, 0, 0, 1]);
  });

  it('names the file and the missing column', async () => {
    const a = await write('c.parquet', ['LAS'], [1], [true]);
    const promise = loadDataset([a], [...features, { name: 'dep_hour', kind: 'numeric' }], 'delayed');
    await expect(promise).rejects.toThrowError(UserError);
    await expect(promise).rejects.toThrowError(/c\.parquet.*column "dep_hour" is not in the file/);
  });

  it('tells how to get a file that is not there', async () => {
    await expect(loadDataset([join(dir, 'nope.parquet')], features, 'delayed')).rejects.toThrowError(
      /nope\.parquet: data file not found.*mlship data pull/,
    );
  });

  it('refuses a file that is not Parquet', async () => {
    await writeFile(join(dir, 'text.parquet'), 'hello, not parquet');
    await expect(loadDataset([join(dir, 'text.parquet')], features, 'delayed')).rejects.toThrowError(
      /text\.parquet: not a readable Parquet file/,
    );
  });
});
