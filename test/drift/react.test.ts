import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriftCheckResult } from '../../src/drift/check.ts';
import { reactToDrift } from '../../src/drift/react.ts';
import { createGitHubClient, type GitHubClient } from '../../src/github/client.ts';
import { issueMarker, upsertIssue } from '../../src/github/dispatch.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';

function result(drifted: boolean): DriftCheckResult {
  const feature = {
    feature: 'distance',
    kind: 'numeric' as const,
    test: 'wasserstein' as const,
    statistic: 0.3,
    pValue: null,
    score: 0.3,
    threshold: 0.1,
    drifted,
    psi: 0.4,
    psiDrifted: true,
    rows: { reference: 1000, current: 5000 },
    missingShare: { reference: 0, current: 0 },
    histogram: { labels: ['all'], reference: [1], current: [1] },
  };
  return {
    schema: 1,
    model: 'flights',
    environment: 'production',
    version: 3,
    runId: 'run-3',
    window: {
      from: '2001-06-01T00:00:00.000Z',
      to: '2001-07-01T00:00:00.000Z',
      rows: 5000,
      files: 4,
      bytes: 1,
    },
    features: [feature],
    score: { ...feature, feature: 'score' },
    driftedFeatures: drifted ? ['distance'] : [],
    driftShare: drifted ? 1 : 0,
    drifted,
    judged: true,
    thresholds: {
      drift_share: 0.5,
      psi: 0.2,
      p_value: 0.05,
      distance: 0.1,
      min_rows: 1000,
      stattest: 'auto',
    },
    servedVersions: { 3: 5000 },
    paths: { report: '/tmp/r.html', json: '/tmp/d.json', summary: '/tmp/s.md' },
    seconds: { read: 0, statistics: 0, total: 0 },
  };
}

describe('reacting to drift on GitHub (fake checked against the OpenAPI description)', () => {
  let gh: FakeGitHub;
  let client: GitHubClient;
  beforeEach(async () => {
    gh = await startFakeGitHub({ owner: 'acme', repo: 'mlship' });
    client = createGitHubClient({ token: 'test', baseUrl: gh.url });
  });
  afterEach(async () => {
    expect(gh.invalidRequests).toEqual([]);
    await gh.close();
  });
  const repo = { owner: 'acme', repo: 'mlship' };

  it('dispatches the retraining workflow with the window', async () => {
    const out = await reactToDrift(result(true), {
      client,
      repo,
      on: 'dispatch',
      workflow: 'retrain.yml',
      ref: 'main',
      windowInputs: true,
    });
    expect(out.action).toBe('dispatched');
    expect(gh.state.dispatches).toEqual([
      {
        workflowId: 'retrain.yml',
        ref: 'main',
        inputs: {
          reason: expect.stringContaining('drift in production: 1/1 features (distance)'),
          'window-from': '2001-06-01T00:00:00.000Z',
          'window-to': '2001-07-01T00:00:00.000Z',
        },
      },
    ]);
  });

  it('does nothing when the window did not drift', async () => {
    expect(
      await reactToDrift(result(false), {
        client,
        repo,
        on: 'dispatch',
        workflow: 'retrain.yml',
        ref: 'main',
      }),
    ).toEqual({
      action: 'none',
    });
    expect(await reactToDrift(result(false), { client, repo, on: 'issue' })).toEqual({ action: 'none' });
    expect(gh.state.dispatches).toEqual([]);
    expect(gh.state.issues).toEqual([]);
  });

  it('keeps one issue per model and environment: created, updated, reopened', async () => {
    const first = await reactToDrift(result(true), {
      client,
      repo,
      on: 'issue',
      reportUrl: 'https://example.test/run/1',
    });
    expect(first.action).toBe('created');
    const second = await reactToDrift(result(true), { client, repo, on: 'issue' });
    expect(second.action).toBe('updated');
    expect(second.issue?.number).toBe(first.issue?.number);
    expect(gh.state.issues).toHaveLength(1);
    const issue = gh.state.issues[0];
    expect(issue.body).toContain(issueMarker('drift:flights/production'));
    expect(issue.body).toContain('| distance | Wasserstein (normed) |');
    expect(issue.labels).toEqual(['drift']);
    issue.state = 'closed';
    const third = await reactToDrift(result(true), { client, repo, on: 'issue' });
    expect(third.action).toBe('reopened');
    expect(gh.state.issues).toHaveLength(1);
    expect(gh.state.issues[0].state).toBe('open');
  });

  it('tells issues of other keys apart and ignores pull requests', async () => {
    // A pull request quoting the marker is not the issue.
    await client.rest.pulls.create({
      ...repo,
      title: 'pr',
      head: 'feature',
      base: 'main',
      body: issueMarker('drift:flights/staging'),
    });
    await client.rest.issues.addLabels({ ...repo, issue_number: 1, labels: ['drift'] });
    const upsert = (key: string, title: string) =>
      upsertIssue({ client, repo, key, title, body: title, labels: ['drift'] });
    await upsert('drift:flights/staging', 'a');
    await upsert('drift:flights/production', 'b');
    await upsert('drift:flights/staging', 'a2');
    expect(gh.state.issues.map((i) => [i.number, i.title, Boolean(i.pull)])).toEqual([
      [1, 'pr', true],
      [2, 'a2', false],
      [3, 'b', false],
    ]);
  });
});
