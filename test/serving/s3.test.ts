import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../src/capture/format.ts';
import { columnsFromRecords } from '../../src/serve/contract.ts';
import { openStore } from '../../src/store/open-store.ts';
import { toYaml } from '../../src/util/fs.ts';
import { type S3rverHandle, startS3rver } from '../support/s3rver.ts';
import { buildFixtureModel, fixtureProfile, sampleRow } from './fixture-model.ts';
import { serviceWith, tempDir } from './helpers.ts';

/** The service as promoted in the cloud: artifact and profile by s3:// URI, capture to the same bucket. */
let s3: S3rverHandle;
const saved = { ...process.env };

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ['mlship'] });
  Object.assign(process.env, s3.env);
});
afterAll(async () => {
  process.env = { ...saved };
  await s3?.stop();
});

describe('serving from S3', () => {
  it('loads s3:// artifacts, verifies them, and captures to the bucket the registry uses', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const store = openStore('s3://mlship/team');
      const model = buildFixtureModel();
      const profile = new TextEncoder().encode(JSON.stringify(fixtureProfile()));
      const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
      await store.put(`models/flight-delay/${sha(model)}.onnx`, model);
      await store.put(`models/flight-delay/${sha(profile)}.json`, profile);
      const manifestPath = join(dir, 'model.yaml');
      await writeFile(
        manifestPath,
        toYaml({
          schema: 1,
          model: 'flight-delay',
          version: 7,
          environment: 'production',
          artifact: { uri: `s3://mlship/team/models/flight-delay/${sha(model)}.onnx`, sha256: sha(model) },
          profile: { uri: `s3://mlship/team/models/flight-delay/${sha(profile)}.json`, sha256: sha(profile) },
        }),
      );
      // No remote given: capture goes beside the registered models (s3://mlship/team).
      const service = serviceWith(manifestPath, undefined, {
        workers: 1,
        pod: 'pod-s3',
        capture: {
          sampleRate: 1,
          maxRecordsPerFile: 1000,
          maxBufferedRecords: 1000,
          flushIntervalMs: 60_000,
        },
      });
      await service.start();
      expect(service.state).toBe('ready');
      const rows = Array.from({ length: 20 }, (_, i) => sampleRow(i));
      await service.predict(columnsFromRecords(service.model!.contract, rows, 'instances'), 'req-s3');
      await service.close();
      const files = await store.list('capture/flight-delay/production/');
      expect(files).toHaveLength(1);
      expect(files[0].key).toMatch(/\/pod-s3-000000\.jsonl\.gz$/);
      const lines = gunzipSync(await store.get(files[0].key))
        .toString('utf8')
        .trim()
        .split('\n');
      const records = lines.map((line) => JSON.parse(line) as CaptureRecord);
      expect(records.map((r) => r.inputs)).toEqual(rows);
      expect(records.every((r) => r.id === 'req-s3' && r.version === 7)).toBe(true);
    } finally {
      await cleanup();
    }
  });
});
