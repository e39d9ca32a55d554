import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../src/capture/format.ts';
import { CaptureWriter } from '../../src/serve/capture-writer.ts';
import { LocalStore } from '../../src/store/local-store.ts';
import { tempDir } from './helpers.ts';

const record = (i: number): CaptureRecord => ({
  ts: new Date(Date.UTC(2026, 10, 25, 4, 0, i)).toISOString(),
  id: `r${i}`,
  model: 'm',
  version: 1,
  inputs: { x: i },
  outputs: { score: 0.5, label: 0 },
});

describe('CaptureWriter', () => {
  it('loses rows, never requests, when the store fails, and stays bounded in memory', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      // A store whose root is a regular file: every write fails (ENOTDIR), as a broken mount would.
      const blocker = join(dir, 'not-a-directory');
      await writeFile(blocker, 'x');
      const outcomes: Record<string, number> = { written: 0, dropped: 0, failed: 0 };
      const errors: Error[] = [];
      const writer = new CaptureWriter({
        store: new LocalStore(join(blocker, 'store')),
        model: 'm',
        version: 1,
        environment: 'e',
        pod: 'p',
        maxRecordsPerFile: 4,
        maxBufferedRecords: 10,
        flushIntervalMs: 60_000,
        onRecords: (outcome, count) => {
          outcomes[outcome] += count;
        },
        onError: (error) => errors.push(error),
      });
      // add() never throws and never waits; beyond the bound rows are dropped and counted.
      const accepted = Array.from({ length: 30 }, (_, i) => writer.add(record(i)));
      await writer.close();
      expect(accepted.filter(Boolean).length + outcomes.dropped).toBe(30);
      expect(outcomes.dropped).toBeGreaterThan(0);
      expect(outcomes.failed).toBe(accepted.filter(Boolean).length);
      expect(outcomes.written).toBe(0);
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await cleanup();
    }
  });

  it('writes files in sequence under the capture layout', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const store = new LocalStore(dir);
      const writer = new CaptureWriter({
        store,
        model: 'm',
        version: 1,
        environment: 'e',
        pod: 'p',
        maxRecordsPerFile: 4,
        maxBufferedRecords: 100,
        flushIntervalMs: 60_000,
        onRecords: () => {},
        onError: (error) => {
          throw error;
        },
      });
      for (let i = 0; i < 10; i++) writer.add(record(i));
      await writer.close();
      expect((await store.list('capture/')).map((f) => f.key)).toEqual([
        'capture/m/e/2026/11/25/04/p-000000.jsonl.gz',
        'capture/m/e/2026/11/25/04/p-000001.jsonl.gz',
        'capture/m/e/2026/11/25/04/p-000002.jsonl.gz',
      ]);
    } finally {
      await cleanup();
    }
  });
});
