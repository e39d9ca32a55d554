import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../../scripts/run-action.ts';
import { createEvaluateProject } from '../support/evaluate-world.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import type { createRegistryWorld } from '../support/registry-world.ts';

/**
 * The committed evaluate and register bundles, run the way the runner runs them
 * (scripts/run-action.ts: inputs as INPUT_* variables with action.yml defaults, outputs and summary
 * to files): a real project in a clone of a bare remote, real
 * models scored by the bundled onnxruntime, the PR comment against the OpenAPI-checked fake GitHub.
 */
function runStep(action: string, dir: string, inputs: Record<string, string>, gh?: FakeGitHub) {
  return runAction({
    action,
    workspace: dir,
    inputs: { 'working-directory': dir, spec: 'mlship.yaml', ...inputs },
    github: gh ? { apiUrl: gh.url, repository: 'acme/flights' } : {},
  });
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
    const good = await runStep(
      'evaluate',
      project,
      { 'run-id': 'run-good', 'pr-number': String(pull.number), token: 'test' },
      gh,
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

    const bad = await runStep(
      'evaluate',
      project,
      { 'run-id': 'run-noise', 'pr-number': String(pull.number), token: 'test' },
      gh,
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
    const refused = await runStep('register', project, { 'run-id': 'run-noise' });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stdout).toContain('failed evaluation');
    const done = await runStep('register', project, {
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
