import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEvaluateWorld,
  pinChampion,
  putTrainedRun,
  syntheticFlights,
  testSpec,
} from '../../test/support/evaluate-world.ts';
import { rocAuc } from '../metrics/binary.ts';
import { scoreDataset } from '../model/score.ts';
import { evaluate } from './evaluate.ts';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

// Held-out rows drawn from the same process as training, with another seed.
const heldOut = syntheticFlights(2000, 99);

describe('evaluate', () => {
  it('day one: scores the run through onnxruntime, passes the min gate, skips the regression gate', async () => {
    const world = await createEvaluateWorld();
    roots.push(world.root);
    await putTrainedRun(world.store, 'run-a');
    const result = await evaluate({
      spec: testSpec(),
      runId: 'run-a',
      store: world.store,
      root: world.root,
      testData: heldOut,
    });
    expect(result.passed).toBe(true);
    expect(result.champion).toBeNull();
    expect(result.rows).toBe(2000);
    expect(result.metrics.auc).toBeGreaterThan(0.7);
    expect(result.gates.map((g) => [g.gate, g.status])).toEqual([
      ['min', 'pass'],
      ['max_regression', 'skipped'],
    ]);
    // The report lands locally and in the store; the evaluation record is what register checks.
    expect(result.reportPath).toBe(join(world.root, '.mlship', 'reports', 'flight-delay-run-a.html'));
    expect(await readFile(result.reportPath, 'utf8')).toContain('<svg');
    expect(await world.store.exists('runs/run-a/report.html')).toBe(true);
    const stored = JSON.parse(new TextDecoder().decode(await world.store.get('runs/run-a/evaluation.json')));
    expect(stored).toMatchObject({ runId: 'run-a', passed: true, sha256: result.sha256 });
    expect(result.markdown).toContain('no champion yet');
  });

  it('scores champion and challenger on the same rows; a worse challenger fails with the amounts', async () => {
    const world = await createEvaluateWorld();
    roots.push(world.root);
    const championRun = await putTrainedRun(world.store, 'run-champion');
    await pinChampion(world.store, world.gitopsDir, championRun);
    await putTrainedRun(world.store, 'run-noise', { noise: true });
    const result = await evaluate({
      spec: testSpec(),
      runId: 'run-noise',
      store: world.store,
      root: world.root,
      testData: heldOut,
    });
    expect(result.champion).toMatchObject({ version: 1, runId: 'run-champion' });
    expect(result.passed).toBe(false);
    const regression = result.gates.find((g) => g.gate === 'max_regression')!;
    expect(regression.status).toBe('fail');
    expect(regression.actual).toBeCloseTo(result.champion!.metrics.auc - result.metrics.auc, 12);
    expect(regression.margin).toBeCloseTo(regression.actual! - 0.01, 12);
    expect(result.deltas.auc).toBeCloseTo(result.metrics.auc - result.champion!.metrics.auc, 12);
    expect(result.deltas.auc).toBeLessThan(-0.1);
    expect(result.markdown).toMatch(/❌ \| auc \| max regression vs champion/);
    expect(await readFile(result.reportPath, 'utf8')).toContain('champion v1');
  });

  it('the champion scored by evaluate is the pinned artifact (its AUC matches a direct computation)', async () => {
    const world = await createEvaluateWorld();
    roots.push(world.root);
    const championRun = await putTrainedRun(world.store, 'run-champion');
    await pinChampion(world.store, world.gitopsDir, championRun);
    const result = await evaluate({
      spec: testSpec(),
      runId: 'run-champion',
      store: world.store,
      root: world.root,
      testData: heldOut,
    });
    // Same model both sides: identical metrics, zero deltas, regression gate passes.
    expect(result.deltas.auc).toBe(0);
    expect(result.passed).toBe(true);
    const pinned = await world.store.get(`models/flight-delay/${championRun.artifacts.model.sha256}.onnx`);
    const direct = rocAuc(heldOut.labels, await scoreDataset(pinned, heldOut.dataset, championRun.signature));
    expect(result.champion!.metrics.auc).toBe(direct);
  });

  it('refuses a champion whose stored artifact does not match the manifest sha256', async () => {
    const world = await createEvaluateWorld();
    roots.push(world.root);
    const championRun = await putTrainedRun(world.store, 'run-champion');
    await pinChampion(world.store, world.gitopsDir, championRun, { sha256: 'f'.repeat(64) });
    await putTrainedRun(world.store, 'run-b', { seed: 5 });
    await expect(
      evaluate({ spec: testSpec(), runId: 'run-b', store: world.store, root: world.root, testData: heldOut }),
    ).rejects.toThrow(/sha256 .* expected f{64}/);
    expect(existsSync(join(world.root, '.mlship', 'reports', 'flight-delay-run-b.html'))).toBe(false);
  });

  it('names the spec field when a gate uses a metric the task does not compute', async () => {
    const world = await createEvaluateWorld();
    roots.push(world.root);
    await putTrainedRun(world.store, 'run-a');
    await expect(
      evaluate({
        spec: testSpec('gates:\n  min: { rmse: 1 }\n'),
        runId: 'run-a',
        store: world.store,
        root: world.root,
        testData: heldOut,
      }),
    ).rejects.toThrow(/gates\.min\.rmse/);
  });
});
