import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../../scripts/run-action.ts';
import { readRun } from '../../src/runs/store.ts';
import { openStore } from '../../src/store/open-store.ts';
import { syntheticProject } from './synthetic.ts';

/** The committed bundle, run as the runner runs it (scripts/run-action.ts). */
function trainStep(dir: string, inputs: Record<string, string>) {
  return runAction({
    action: 'train',
    workspace: dir,
    inputs: { 'working-directory': dir, ...inputs },
    timeoutMs: 120_000,
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlship-train-action-'));
  await syntheticProject(dir, { type: 'gbdt', params: { trees: 10, depth: 3 } }, {}, 2000);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('actions/train (committed bundle)', () => {
  it('trains, verifies the export through the bundled onnxruntime, and sets outputs and the summary', async () => {
    const { outputs, summary, stdout } = await trainStep(dir, { params: 'depth=4, learning_rate=0.2' });
    expect(outputs['run-id'], stdout).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(existsSync(outputs['model-path'])).toBe(true);
    expect(Number(outputs.auc)).toBeGreaterThan(0.6);
    expect(Number(outputs['log-loss'])).toBeGreaterThan(0);
    expect(JSON.parse(outputs.metrics).auc).toBe(Number(outputs.auc));
    const record = await readRun(openStore(join(dir, '.mlship/remote')), outputs['run-id']);
    expect(record.trainer.params.depth).toBe(4);
    expect(record.trainer.params.learning_rate).toBe(0.2);
    expect(summary).toContain(`Training run \`${outputs['run-id']}\``);
    expect(summary).toMatch(/\| gbdt \| test \| 0\.\d{4} \|/);
    expect(summary).toMatch(/\| linear baseline \| test \| 0\.\d{4} \|/);
  });

  it('fails the step with the user error when the spec is wrong', async () => {
    const { stdout, outputs } = await trainStep(dir, { trainer: 'forest' });
    expect(stdout).toContain('::error::');
    expect(stdout).toContain('trainer "forest" is not gbdt, linear or command');
    expect(outputs['run-id']).toBeUndefined();
  });
});
