import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../../scripts/run-action.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { makeProject } from './world.ts';

/** The committed bundle, run as the runner runs it (scripts/run-action.ts), against the fake GitHub. */
function driftCheck(dir: string, inputs: Record<string, string>, gh?: FakeGitHub) {
  return runAction({
    action: 'drift-check',
    workspace: dir,
    inputs: { 'working-directory': dir, ...inputs },
    github: gh ? { apiUrl: gh.url, repository: 'acme/mlship' } : {},
  });
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
    const inputs = { environment: 'staging', month: '2001-06', 'on-drift': 'issue', token: 'test' };
    const first = await driftCheck(dir, inputs, gh);
    expect(first.outputs.drifted).toBe('true');
    expect(Number(first.outputs['drift-share'])).toBeGreaterThanOrEqual(0.5);
    expect(first.outputs['report-path']).toBe(join(dir, '.mlship/drift/report.html'));
    expect(first.outputs.reaction).toBe('created');
    expect(first.summary).toContain('Drift check: flights v2 in staging');
    expect((await readFile(first.outputs['report-path'], 'utf8')).startsWith('<!doctype html>')).toBe(true);
    const second = await driftCheck(dir, inputs, gh);
    expect(second.outputs.reaction).toBe('updated');
    expect(second.outputs['issue-number']).toBe(first.outputs['issue-number']);
    expect(gh.state.issues).toHaveLength(1);
    expect(gh.invalidRequests).toEqual([]);
  });

  it('reports an unjudged window without failing and dispatches nothing', async () => {
    const out = await driftCheck(
      dir,
      { environment: 'staging', from: '2001-06-01', to: '2001-06-02', 'on-drift': 'dispatch', token: 'test' },
      gh,
    );
    expect(out.outputs.drifted).toBe('false');
    expect(out.outputs.judged).toBe('false');
    expect(out.outputs.reaction).toBe('none');
    expect(gh.state.dispatches).toEqual([]);
  });

  it('fails with the field and fix of a user mistake', async () => {
    const out = await driftCheck(dir, { environment: 'production', month: '2001-06' });
    expect(out.stdout).toMatch(/::error::.*environment manifest not found/);
  });
});
