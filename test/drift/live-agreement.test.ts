import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeDrift } from '../../src/drift/check.ts';
import { readCaptureWindow } from '../../src/drift/window.ts';
import { buildProfile } from '../../src/profile/build.ts';
import { CaptureWriter } from '../../src/serve/capture-writer.ts';
import type { ColumnBatch, ModelContract } from '../../src/serve/contract.ts';
import { DriftTracker } from '../../src/serve/drift.ts';
import { LocalStore } from '../../src/store/local-store.ts';
import { FEATURES, rows, toDataset, toRecords } from './synthetic.ts';

/**
 * The service's live PSI gauges (src/serve/drift.ts) and drift-check's batch PSI must tell the
 * same story for the same traffic. The same rows go to the live tracker (as the service hands them
 * over: float32 columns, '' for a missing category) and, through the real capture writer, to the
 * store that drift-check reads back. Both bin with the profile's own edges and categories, so the
 * only allowed difference is floating-point summation order: tolerance 1e-9 absolute per feature.
 */
const TOLERANCE = 1e-9;

describe('live drift gauges agree with drift-check on the same window', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const [name, shift] of [
    ['unshifted', 0],
    ['shifted', 0.6],
  ] as const) {
    it(`agrees on ${name} traffic`, async () => {
      dir ??= await mkdtemp(join(tmpdir(), 'mlship-live-'));
      const store = new LocalStore(join(dir, name));
      const reference = toDataset(rows(20_000, 11));
      const profile = buildProfile({
        model: 'flights',
        runId: 'run-1',
        dataset: reference.dataset,
        features: FEATURES,
        scores: reference.scores,
      });
      const contract: ModelContract = {
        inputs: [
          { name: 'distance', type: 'float' },
          { name: 'dep_hour', type: 'float' },
          { name: 'origin', type: 'string' },
        ],
        task: 'classification',
      };
      const traffic = rows(4000, 12, shift);
      const start = new Date(Date.UTC(2026, 5, 1, 8));
      const records = toRecords(traffic, start);

      // Live: the tracker sized to hold the whole window, fed in request-sized batches.
      const tracker = new DriftTracker(contract, profile, traffic.length);
      const writer = new CaptureWriter({
        store,
        model: 'flights',
        version: 1,
        environment: 'production',
        pod: 'pod-0',
        maxRecordsPerFile: 1000,
        maxBufferedRecords: 10_000,
        flushIntervalMs: 3_600_000,
        onRecords: () => {},
        onError: (error) => {
          throw error;
        },
      });
      for (let offset = 0; offset < traffic.length; offset += 50) {
        const part = traffic.slice(offset, offset + 50);
        const batch: ColumnBatch = {
          rows: part.length,
          columns: [
            Float32Array.from(part, (r) => r.distance),
            Float32Array.from(part, (r) => r.dep_hour),
            part.map((r) => r.origin),
          ],
        };
        const scores = Float32Array.from(part, (r) => r.score);
        tracker.observe(batch, scores, 0);
        for (const record of records.slice(offset, offset + 50)) writer.add(record);
      }
      await writer.close();

      // Batch: drift-check reads the same window back from the capture logs.
      const window = await readCaptureWindow({
        store,
        model: 'flights',
        environment: 'production',
        from: start,
        to: new Date(start.getTime() + 3_600_000),
        features: FEATURES,
      });
      expect(window.dataset.numRows).toBe(traffic.length);
      const batch = computeDrift(profile, FEATURES, window.dataset, window.scores, {
        p_value: 0.05,
        distance: 0.1,
        psi: 0.2,
        drift_share: 0.5,
      });

      const live = new Map(tracker.featurePsi().map((f) => [f.feature, f]));
      for (const feature of batch.features) {
        const gauge = live.get(feature.feature)!;
        expect(Math.abs(gauge.psi - feature.psi)).toBeLessThanOrEqual(TOLERANCE);
      }
      expect(Math.abs(tracker.scorePsi() - batch.score.psi)).toBeLessThanOrEqual(TOLERANCE);
      // And the comparison is not vacuous: shifted traffic moves PSI well away from zero.
      const largest = Math.max(...batch.features.map((f) => f.psi));
      if (shift > 0) expect(largest).toBeGreaterThan(0.2);
      else expect(largest).toBeLessThan(0.05);
    });
  }
});
