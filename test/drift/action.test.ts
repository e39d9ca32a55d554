import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { makeProject } from './world.ts';

const run = promisify(execFile);
const bundle = join(import.meta.dirname, '..', '..', 'actions', 'drift-check', 'dist', 'index.js');

/** Runs the committed bundle the way the runner does: inputs as INPUT_* variables, outputs to files. */
async function runAction(dir: string, inputs: Record<string, string>, env: Record<string, string> = {}) {
  const outputFile = join(dir, `output-${Math.random().toString(36).slice(2)}`);
  const summaryFile = join(dir, `summary-${Math.random().toString(36).slice(2)}`);
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const defaults: Record<string, string> = {
    spec: 'mlship.yaml',
    'gitops-path': 'gitops',
    'out-dir': '.mlship/drift',
    'on-drift': 'none',
    workflow: 'retrain.yml',
    'window-inputs': 'false',
    last: '24h',
    'working-directory': dir,
  };
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...defaults, ...inputs })) {
    vars[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  const result = await run(process.execPath, [bundle], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      ...vars,
      ...env,
    },
  }).catch((error: { stdout: string; code: number }) => ({
    stdout: error.stdout,
    stderr: '',
    code: error.code,
  }));
  const outputs: Record<string, string> = {};
  const text = await readFile(outputFile, 'utf8');
  for (const match of text.matchAll(/^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm)) outputs[match[1]] = match[3];
  return { stdout: result.stdout, outputs, summary: await readFile(summaryFile, 'utf8') };
}

describe('actions/drift-check (committed bundle)', () => {
  let dir: string;
  let gh: FakeGitHub;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlship-drift-action-'));
    await makeProject(dir);
    gh = await startFakeGitHub({ owner: 'acme', repo: 'mlship' });
  });
  afterAll(async () => {
    await gh.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sets drifted, drift-share and report-path, writes the job summary, and keeps one issue', async () => {
    const env = { GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: 'acme/mlship', GITHUB_REF_NAME: 'main' };
    const inputs = { environment: 'staging', month: '2001-06', 'on-drift': 'issue', token: 'test' };
    const first = await runAction(dir, inputs, env);
    expect(first.outputs.drifted).toBe('true');
    expect(Number(first.outputs['drift-share'])).toBeGreaterThanOrEqual(0.5);
    expect(first.outputs['report-path']).toBe(join(dir, '.mlship/drift/report.html'));
    expect(first.outputs.reaction).toBe('created');
    expect(first.summary).toContain('Drift check: flights v2 in staging');
    expect((await readFile(first.outputs['report-path'], 'utf8')).startsWith('<!doctype html>')).toBe(true);
    const second = await runAction(dir, inputs, env);
    expect(second.outputs.reaction).toBe('updated');
    expect(second.outputs['issue-number']).toBe(first.outputs['issue-number']);
    expect(gh.state.issues).toHaveLength(1);
    expect(gh.invalidRequests).toEqual([]);
  });

  it('reports an unjudged window without failing and dispatches nothing', async () => {
    const env = { GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: 'acme/mlship' };
    const out = await runAction(
      dir,
      { environment: 'staging', from: '2001-06-01', to: '2001-06-02', 'on-drift': 'dispatch', token: 'test' },
      env,
    );
    expect(out.outputs.drifted).toBe('false');
    expect(out.outputs.judged).toBe('false');
    expect(out.outputs.reaction).toBe('none');
    expect(gh.state.dispatches).toEqual([]);
  });

  it('fails with the field and fix of a user mistake', async () => {
    const out = await runAction(dir, { environment: 'production', month: '2001-06' });
    expect(out.stdout).toMatch(/::error::.*environment manifest not found/);
  });
});
