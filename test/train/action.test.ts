import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRun } from '../../src/runs/store.ts';
import { openStore } from '../../src/store/open-store.ts';
import { syntheticProject } from './synthetic.ts';

const run = promisify(execFile);
const bundle = join(import.meta.dirname, '..', '..', 'actions', 'train', 'dist', 'index.js');

/** Runs the committed bundle as the runner does: inputs as INPUT_* variables, outputs to files. */
async function runAction(dir: string, inputs: Record<string, string>) {
  const outputFile = join(dir, 'github-output');
  const summaryFile = join(dir, 'github-summary');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const vars: Record<string, string> = {};
  const defaults = { spec: 'mlship.yaml', baseline: 'true', 'working-directory': dir };
  for (const [name, value] of Object.entries({ ...defaults, ...inputs })) {
    vars[`INPUT_${name.toUpperCase()}`] = value;
  }
  const result = await run(process.execPath, [bundle], {
    cwd: dir,
    env: { PATH: process.env.PATH, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile, ...vars },
    timeout: 120_000,
  }).catch((error: { stdout: string; code: number }) => ({ stdout: error.stdout, code: error.code }));
  const outputs: Record<string, string> = {};
  const text = await readFile(outputFile, 'utf8');
  for (const match of text.matchAll(/^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm)) outputs[match[1]] = match[3];
  return { stdout: result.stdout, outputs, summary: await readFile(summaryFile, 'utf8') };
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
    const { outputs, summary, stdout } = await runAction(dir, { params: 'depth=4, learning_rate=0.2' });
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
    const { stdout, outputs } = await runAction(dir, { trainer: 'forest' });
    expect(stdout).toContain('::error::');
    expect(stdout).toContain('trainer "forest" is not gbdt, linear or command');
    expect(outputs['run-id']).toBeUndefined();
  });
});
