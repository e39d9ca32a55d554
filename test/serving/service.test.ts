import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../src/capture/format.ts';
import { binIndex, populationStabilityIndex } from '../../src/profile/profile.ts';
import { columnsFromRecords } from '../../src/serve/contract.ts';
import { DEFAULT_SERVICE_OPTIONS } from '../../src/serve/service.ts';
import { openStore } from '../../src/store/open-store.ts';
import {
  expectedScore,
  type FixtureEnv,
  fixtureProfile,
  sampleRow,
  writeFixtureEnv,
} from './fixture-model.ts';
import { collectingLog, serviceWith, tempDir } from './helpers.ts';

let env: FixtureEnv;
let cleanup: () => Promise<void>;
let dir: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  env = await writeFixtureEnv(dir);
});
afterAll(() => cleanup());

describe('InferenceService', () => {
  it('refuses a model whose sha256 is not the pinned one: not ready, and says why', async () => {
    const { dir: bad, cleanup: done } = await tempDir();
    try {
      const corrupt = await writeFixtureEnv(bad, { corrupt: true });
      const log = collectingLog();
      const service = serviceWith(corrupt.manifestPath, corrupt.remote, { log });
      await service.start();
      expect(service.state).toBe('failed');
      expect(service.reason).toMatch(/sha256 .* but the manifest pins/);
      expect(log.lines.some((l) => l.level === 'error' && /not ready: .*sha256/.test(l.message))).toBe(true);
      const row = columnsFromRecords({ inputs: [], task: 'classification' }, [{}], 'instances');
      await expect(service.predict(row, 'r')).rejects.toThrow(/not loaded/);
      await service.close();
    } finally {
      await done();
    }
  });

  it('answers the same for a row whether it runs alone or batched with others (in-process and on 2 worker threads)', async () => {
    for (const workers of [0, 2]) {
      const service = serviceWith(env.manifestPath, env.remote, {
        workers,
        capture: { ...DEFAULT_SERVICE_OPTIONS.capture, sampleRate: 0 },
      });
      await service.start();
      expect(service.state).toBe('ready');
      const contract = service.model!.contract;
      const rows = Array.from({ length: 300 }, (_, i) => sampleRow(i));
      rows[7] = { ...rows[7], distance: null, origin: 'XXX' };
      // Single rows submitted together are coalesced by the batcher; compare with one big request
      // and with the independent formula.
      const singles = await Promise.all(
        rows.map((row, i) => service.predict(columnsFromRecords(contract, [row], 'instances'), `s${i}`)),
      );
      const whole = await service.predict(columnsFromRecords(contract, rows, 'instances'), 'whole');
      rows.forEach((row, i) => {
        expect(singles[i].scores[0]).toBe(whole.scores[i]);
        expect(singles[i].labels![0]).toBe(whole.labels![i]);
        expect(singles[i].probabilities![0]).toEqual(whole.probabilities![i]);
        expect(whole.scores[i]).toBeCloseTo(expectedScore(row), 5);
        expect(whole.labels![i]).toBe(expectedScore(row) > 0.5 ? 1 : 0);
      });
      await service.close();
    }
  });

  it('tracks drift over a sliding window with the profile bins, and captures rows readable back', async () => {
    const service = serviceWith(env.manifestPath, env.remote, {
      workers: 1,
      driftWindow: 100,
      pod: 'pod-a',
      capture: { sampleRate: 1, maxRecordsPerFile: 150, maxBufferedRecords: 10_000, flushIntervalMs: 60_000 },
    });
    await service.start();
    const contract = service.model!.contract;
    const rows = Array.from({ length: 250 }, (_, i) => sampleRow(i));
    // Late rows drift: every dep_hour becomes 23.
    for (let i = 150; i < 250; i++) rows[i] = { ...rows[i], dep_hour: 23 };
    for (let i = 0; i < rows.length; i += 50) {
      await service.predict(columnsFromRecords(contract, rows.slice(i, i + 50), 'instances'), `req-${i}`);
    }
    const psi = Object.fromEntries(service.featurePsi().map((f) => [f.feature, f]));
    const profile = fixtureProfile();
    const hourProfile = profile.features.dep_hour;
    if (hourProfile.kind !== 'numeric') throw new Error('fixture');
    const window = new Array(hourProfile.counts.length).fill(0);
    for (const row of rows.slice(150)) window[binIndex(hourProfile.edges, row.dep_hour as number)]++;
    expect(psi.dep_hour.rows).toBe(100);
    expect(psi.dep_hour.psi).toBeCloseTo(populationStabilityIndex(hourProfile.counts, window), 10);
    expect(psi.dep_hour.psi).toBeGreaterThan(1);
    await service.close();

    const store = openStore(env.remote);
    const files = await store.list('capture/flight-delay/staging/');
    expect(files.length).toBe(2);
    expect(files[0].key).toMatch(
      /^capture\/flight-delay\/staging\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/pod-a-000000\.jsonl\.gz$/,
    );
    const records: CaptureRecord[] = [];
    for (const file of files) {
      const text = gunzipSync(await store.get(file.key)).toString('utf8');
      for (const line of text.trim().split('\n')) records.push(JSON.parse(line));
    }
    expect(records).toHaveLength(250);
    expect(records[0]).toMatchObject({ id: 'req-0', model: 'flight-delay', version: 3, inputs: rows[0] });
    expect(records[249].inputs).toEqual(rows[249]);
    expect(records[0].outputs.score).toBeCloseTo(expectedScore(rows[0]), 5);
  });
});

describe('a model that does not load', () => {
  it('leaves the service not ready with the runtime error, and no worker thread behind', async () => {
    const { dir: bad, cleanup: done } = await tempDir();
    try {
      const broken = await writeFixtureEnv(bad, { model: new TextEncoder().encode('not an onnx model') });
      const log = collectingLog();
      const service = serviceWith(broken.manifestPath, broken.remote, { log, workers: 2 });
      await service.start();
      expect(service.state).toBe('failed');
      expect(service.reason).toMatch(/the model does not load/);
      await service.close();
    } finally {
      await done();
    }
  });
});
