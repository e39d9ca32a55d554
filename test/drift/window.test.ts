import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureKey } from '../../src/capture/format.ts';
import { readCaptureWindow } from '../../src/drift/window.ts';
import { LocalStore } from '../../src/store/local-store.ts';
import { FEATURES } from './synthetic.ts';

const line = (ts: string, distance: number | null, origin: string | null, version = 1) =>
  JSON.stringify({
    ts,
    id: 'x',
    model: 'flights',
    version,
    inputs: { distance, dep_hour: 5, origin },
    outputs: { score: 0.25, label: 0 },
  });

describe('readCaptureWindow', () => {
  let dir: string;
  let store: LocalStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlship-window-'));
    store = new LocalStore(dir);
    // A file started at 09:50 holds rows up to 10:10: its late rows belong to the 10:00 window.
    await store.put(
      captureKey('flights', 'production', new Date('2026-05-01T09:50:00Z'), 'p', 0),
      gzipSync(
        [
          line('2026-05-01T09:50:00.000Z', 1, 'A'),
          line('2026-05-01T10:05:00Z', 2, 'B'), // not toISOString's spelling: still read
          line('2026-05-01T10:10:00.000Z', null, '', 2),
        ].join('\n'),
      ),
    );
    await store.put(
      captureKey('flights', 'production', new Date('2026-05-01T11:00:00Z'), 'p', 1),
      gzipSync(`${line('2026-05-01T11:00:00.000Z', 4, 'A')}\n`),
    );
    // Another environment and another day are not read.
    await store.put(
      captureKey('flights', 'staging', new Date('2026-05-01T10:00:00Z'), 'p', 0),
      gzipSync(line('2026-05-01T10:00:00.000Z', 9, 'Z')),
    );
    await store.put(
      captureKey('flights', 'production', new Date('2026-05-02T10:00:00Z'), 'p', 2),
      gzipSync(line('2026-05-02T10:00:00.000Z', 9, 'Z')),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const read = (from: string, to: string) =>
    readCaptureWindow({
      store,
      model: 'flights',
      environment: 'production',
      from: new Date(from),
      to: new Date(to),
      features: FEATURES,
    });

  it('reads rows by their own time, including from a file started before the window', async () => {
    await store.put(
      captureKey('flights', 'production', new Date('2026-05-01T10:30:00Z'), 'q', 0),
      gzipSync(''),
    );
    const window = await read('2026-05-01T10:00:00Z', '2026-05-01T11:00:00Z');
    expect(window.dataset.numRows).toBe(2);
    expect(window.skipped).toBe(1);
    const distance = window.dataset.columns.distance;
    const origin = window.dataset.columns.origin;
    if (distance.kind !== 'numeric' || origin.kind !== 'categorical') throw new Error('kinds');
    expect(Array.from(distance.values)).toEqual([2, Number.NaN]);
    expect(Array.from(origin.codes)).toEqual([0, -1]);
    expect(origin.dictionary).toEqual(['B']);
    expect(Array.from(window.versions)).toEqual([1, 2]);
    expect(Array.from(window.scores)).toEqual([0.25, 0.25]);
  });

  it('names the file and line of a corrupt record', async () => {
    await store.put(
      captureKey('flights', 'production', new Date('2026-05-01T10:30:00Z'), 'q', 0),
      gzipSync('{oops\n'),
    );
    await expect(read('2026-05-01T10:00:00Z', '2026-05-01T11:00:00Z')).rejects.toThrow(
      /q-000000\.jsonl\.gz:1: not a JSON/,
    );
  });

  it('refuses an empty window', async () => {
    await expect(read('2026-05-01T11:00:00Z', '2026-05-01T11:00:00Z')).rejects.toThrow(/empty/);
  });
});
