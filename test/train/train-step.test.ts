import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { md5File } from '../../src/data/hash.ts';
import { writeLock } from '../../src/data/lock.ts';
import { loadDataset } from '../../src/dataset/parquet.ts';
import { scoreDataset } from '../../src/model/score.ts';
import { listRuns, readRun } from '../../src/runs/store.ts';
import { openStore } from '../../src/store/open-store.ts';
import { train } from '../../src/train/train.ts';
import { checkOnnxModel } from '../support/onnx-checker.ts';
import { syntheticProject } from './synthetic.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mlship-train-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('train step on synthetic Parquet data', () => {
  it('trains gbdt + the linear baseline and writes a valid run record, model and profile', async () => {
    const project = join(root, 'gbdt');
    const { spec, specPath } = await syntheticProject(project, {
      type: 'gbdt',
      params: { trees: 20, depth: 3, learning_rate: 0.3, seed: 1 },
    });
    // Track the training months in data.lock (the test month stays untracked: hashed directly).
    const outs = [];
    for (const path of ['data/m1.parquet', 'data/m2.parquet']) {
      const { md5, size } = await md5File(join(project, path));
      outs.push({ md5, size, hash: 'md5' as const, path });
    }
    await writeLock(join(project, 'data.lock'), { schema: 1, outs });
    const git = simpleGit(project);
    await git.init();
    await git.addConfig('user.email', 'test@example.com');
    await git.addConfig('user.name', 'test');
    await git.add(['mlship.yaml', 'data.lock']);
    await git.commit('spec');
    const head = (await git.revparse(['HEAD'])).trim();

    const result = await train({ spec, specPath, root: project });
    expect(result.runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);

    const store = openStore(join(project, '.mlship/remote'));
    const record = await readRun(store, result.runId);
    expect(record.trainer.type).toBe('gbdt');
    expect(record.rows).toEqual({ train: 3000, validation: 3000, test: 3000 });
    expect(record.metrics.test.auc).toBeGreaterThan(0.6);
    expect(record.metrics.validation.log_loss).toBeGreaterThan(0);
    expect(record.baseline?.test.auc).toBeGreaterThan(0.6);
    expect(record.data.train).toEqual({ 'data/m1.parquet': outs[0].md5, 'data/m2.parquet': outs[1].md5 });
    expect(record.data.test['data/m3.parquet']).toBe((await md5File(join(project, 'data/m3.parquet'))).md5);
    expect(record.git.commit).toBe(head);
    expect(record.environment.onnxruntime).toMatch(/^\d+\.\d+/);
    expect(record.timings.total).toBeGreaterThan(0);
    expect(Object.keys(record.featureImportance ?? {})).toContain('origin');

    // The same files locally and in the store; the model is the one the record's sha256 names.
    const model = await store.get(`runs/${result.runId}/model.onnx`);
    expect(new Uint8Array(await readFile(result.paths.model))).toEqual(new Uint8Array(model));
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(model).digest('hex')).toBe(record.artifacts.model.sha256);
    const profile = JSON.parse(
      new TextDecoder().decode(await store.get(`runs/${result.runId}/profile.json`)),
    );
    expect(profile.runId).toBe(result.runId);
    expect(Object.keys(profile.features).sort()).toEqual(['dep_hour', 'destination', 'distance', 'origin']);
    expect(existsSync(result.paths.profile)).toBe(true);
    await checkOnnxModel(model);

    // The exported model scores the test month (with its unseen origin) to the recorded AUC.
    const test = await loadDataset([join(project, 'data/m3.parquet')], spec.features, spec.target);
    const scores = await scoreDataset(model, test.dataset, record.signature);
    const { rocAuc } = await import('../../src/metrics/binary.ts');
    expect(rocAuc(test.labels, scores)).toBeCloseTo(record.metrics.test.auc, 5);
  });

  it('keeps every search trial in run.json and ships the best one', async () => {
    const project = join(root, 'search');
    const { spec, specPath } = await syntheticProject(
      project,
      { type: 'linear', params: {} },
      { search: { method: 'grid', metric: 'log_loss', space: { l2: [0.01, 100, 100000] } } },
    );
    const result = await train({ spec, specPath, root: project });
    const record = await readRun(openStore(join(project, '.mlship/remote')), result.runId);
    expect(record.search).toHaveLength(3);
    expect(record.search!.map((trial) => trial.params.l2)).toEqual([0.01, 100, 100000]);
    const losses = record.search!.map((trial) => trial.metrics.log_loss);
    const best = losses.indexOf(Math.min(...losses));
    expect(record.trainer.params.l2).toBe(record.search![best].params.l2);
    expect(record.metrics.validation.log_loss).toBeCloseTo(losses[best], 6);
    // A linear run is its own baseline.
    expect(record.baseline).toBeUndefined();

    // Another trainer chosen at run time trains once: the space was written for the spec's trainer.
    const other = await train({
      spec,
      specPath,
      root: project,
      trainer: 'gbdt',
      params: { trees: 5 },
      baseline: false,
    });
    expect(other.record.search).toBeUndefined();
    expect(other.record.trainer.params.trees).toBe(5);
  });

  it('runs a command as the trainer and takes its ONNX model', async () => {
    const project = join(root, 'command');
    const script = join(import.meta.dirname, '../fixtures/command-trainer/train.mjs');
    const { spec, specPath } = await syntheticProject(project, {
      type: 'command',
      command: `node ${script}`,
      params: { shrink: 10 },
    });
    const progress: string[] = [];
    const result = await train({ spec, specPath, root: project, onProgress: (m) => progress.push(m) });
    expect(progress.some((line) => line.includes('train 3000 rows, validation 3000, test 3000'))).toBe(true);
    const record = await readRun(openStore(join(project, '.mlship/remote')), result.runId);
    expect(record.trainer).toEqual({ type: 'command', params: { shrink: 10 } });
    // A constant model: every row gets the training rate, so AUC is exactly 0.5.
    expect(record.metrics.test.auc).toBeCloseTo(0.5, 9);
    expect(record.baseline?.test.auc).toBeGreaterThan(0.6);
    await checkOnnxModel(await readFile(result.paths.model));
  });

  it('refuses a command model whose inputs do not match the features', async () => {
    const project = join(root, 'command-wrong');
    const script = join(import.meta.dirname, '../fixtures/command-trainer/train.mjs');
    const { spec, specPath } = await syntheticProject(project, {
      type: 'command',
      command: `node ${script} --wrong-input`,
    });
    await expect(train({ spec, specPath, root: project, baseline: false })).rejects.toThrow(
      /input "origin_renamed" is not a feature.*feature "origin" is not an input/,
    );
  });

  it('reports a failing command with its output', async () => {
    const project = join(root, 'command-fails');
    const { spec, specPath } = await syntheticProject(project, {
      type: 'command',
      command: 'echo "no GPU here" >&2; exit 3',
    });
    await expect(train({ spec, specPath, root: project, baseline: false })).rejects.toThrow(
      /trainer\.command: the training command failed \(exit code 3\); last output:\nno GPU here/,
    );
  });

  it('lists runs newest first', async () => {
    const project = join(root, 'gbdt');
    const runs = await listRuns(openStore(join(project, '.mlship/remote')));
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs[0].model).toBe('synthetic-delay');
  });
});
