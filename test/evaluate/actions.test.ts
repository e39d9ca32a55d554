import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluateProject } from '../support/evaluate-world.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import type { createRegistryWorld } from '../support/registry-world.ts';

/**
 * The committed evaluate and register bundles, run the way the runner runs them (inputs as INPUT_*
 * variables, outputs and summary to files): a real project in a clone of a bare remote, real
 * models scored by the bundled onnxruntime, the PR comment against the OpenAPI-checked fake GitHub.
 */
const run = promisify(execFile);
const bundle = (name: string) => join(import.meta.dirname, '..', '..', 'actions', name, 'dist', 'index.js');

async function runAction(
  name: string,
  dir: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
) {
  const outputFile = join(dir, '..', `output-${Math.random().toString(36).slice(2)}`);
  const summaryFile = join(dir, '..', `summary-${Math.random().toString(36).slice(2)}`);
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const vars: Record<string, string> = {};
  for (const [key, value] of Object.entries({ 'working-directory': dir, spec: 'mlship.yaml', ...inputs })) {
    vars[`INPUT_${key.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  const result = await run(process.execPath, [bundle(name)], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      ...vars,
      ...env,
    },
  }).catch((error: { stdout: string; code: number }) => ({ stdout: error.stdout, code: error.code }));
  const outputs: Record<string, string> = {};
  const text = await readFile(outputFile, 'utf8');
  for (const match of text.matchAll(/^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm)) outputs[match[1]] = match[3];
  return {
    stdout: result.stdout,
    exitCode: 'code' in result ? result.code : 0,
    outputs,
    summary: await readFile(summaryFile, 'utf8'),
  };
}

describe('actions/evaluate and actions/register (committed bundles)', () => {
  let world: Awaited<ReturnType<typeof createRegistryWorld>>;
  let project: string;
  let gh: FakeGitHub;
  beforeAll(async () => {
    ({ world, project } = await createEvaluateProject());
    gh = await startFakeGitHub({ owner: 'acme', repo: 'flights' });
  });
  afterAll(async () => {
    await gh.close();
    await rm(world.root, { recursive: true, force: true });
  });

  it('evaluate: outputs, one PR comment kept up to date, job summary; a failed gate fails the step', async () => {
    const { data: pull } = await (await import('../../src/github/client.ts'))
      .createGitHubClient({ token: 'test', baseUrl: gh.url })
      .rest.pulls.create({ owner: 'acme', repo: 'flights', title: 'Retrain', head: 'retrain', base: 'main' });
    const env = { GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: 'acme/flights' };
    const good = await runAction(
      'evaluate',
      project,
      { 'run-id': 'run-good', 'pr-number': String(pull.number), token: 'test' },
      env,
    );
    expect(good.exitCode).toBe(0);
    expect(good.outputs.passed).toBe('true');
    expect(JSON.parse(good.outputs.metrics).auc).toBeGreaterThan(0.7);
    expect(good.outputs['champion-version']).toBe('');
    expect(good.outputs['report-path']).toBe(
      join(project, '.mlship', 'reports', 'flight-delay-run-good.html'),
    );
    expect(good.summary).toContain('### flight-delay: evaluation ✅ passed');
    expect(gh.state.comments).toHaveLength(1);
    expect(gh.state.comments[0].body).toBe(`<!-- mlship:evaluate:flight-delay -->\n${good.summary}`);

    const bad = await runAction(
      'evaluate',
      project,
      { 'run-id': 'run-noise', 'pr-number': String(pull.number), token: 'test' },
      env,
    );
    expect(bad.exitCode).not.toBe(0);
    expect(bad.outputs.passed).toBe('false');
    expect(bad.stdout).toMatch(
      /::error::1 gate\(s\) failed:%0A {2}min auc: auc 0\.\d+ is below the minimum 0\.6 by/,
    );
    // Still one comment, now showing the failure.
    expect(gh.state.comments).toHaveLength(1);
    expect(gh.state.comments[0].body).toContain('evaluation ❌ failed');
    expect(gh.invalidRequests).toEqual([]);
  });

  it('register: refuses the failed run, registers the passing one, outputs version, tag, uri and sha256', async () => {
    const refused = await runAction('register', project, { 'run-id': 'run-noise' });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stdout).toContain('failed evaluation');
    const done = await runAction('register', project, {
      'run-id': 'run-good',
      'git-user-name': 'github-actions[bot]',
      'git-user-email': '41898282+github-actions[bot]@users.noreply.github.com',
    });
    expect(done.exitCode).toBe(0);
    expect(done.outputs).toMatchObject({
      version: '1',
      tag: 'flight-delay@v1.0.0',
      'already-registered': 'false',
    });
    expect(done.outputs['artifact-uri']).toMatch(
      new RegExp(`/models/flight-delay/${done.outputs.sha256}\\.onnx$`),
    );
    expect(done.summary).toContain('registered flight-delay@v1.0.0');
    const tags = await simpleGit().listRemote(['--tags', world.origin]);
    expect(tags).toContain('refs/tags/flight-delay@v1.0.0');
  });
});
