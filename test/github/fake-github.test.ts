import { join } from 'node:path';
import { RequestError } from '@octokit/request-error';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubClient, type GitHubClient, repoFromEnv } from '../../src/github/client.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';

const owner = 'acme';
const repo = 'flights';

describe('fake GitHub, checked against the OpenAPI description', () => {
  let gh: FakeGitHub;
  let octokit: GitHubClient;

  beforeAll(async () => {
    gh = await startFakeGitHub({ owner, repo });
    octokit = createGitHubClient({ token: 'test-token', baseUrl: gh.url });
  });
  afterAll(async () => {
    await gh.close();
  });

  /** A request Octokit's types would refuse: exactly the malformed calls the fake must catch. */
  function raw(route: string, params: Record<string, unknown>) {
    const [method, url] = route.split(' ');
    return octokit.request({ method, url, ...params });
  }

  async function statusOf(call: Promise<unknown>): Promise<number> {
    try {
      await call;
      return 0;
    } catch (error) {
      if (error instanceof RequestError) return error.status;
      throw error;
    }
  }

  it('accepts a valid pull request flow through a real Octokit, in GitHub response shapes', async () => {
    const created = await octokit.rest.pulls.create({
      owner,
      repo,
      title: 'Promote flights v2 to staging',
      head: 'mlship/promote-flights-staging',
      base: 'main',
      body: 'metrics',
    });
    expect(created.status).toBe(201);
    expect(created.data.number).toBe(1);
    expect(created.data.head.ref).toBe('mlship/promote-flights-staging');

    const listed = await octokit.rest.pulls.list({
      owner,
      repo,
      head: `${owner}:mlship/promote-flights-staging`,
      base: 'main',
      state: 'open',
    });
    expect(listed.data.map((p) => p.number)).toEqual([1]);
    const otherHead = await octokit.rest.pulls.list({ owner, repo, head: `${owner}:other` });
    expect(otherHead.data).toEqual([]);

    await octokit.rest.pulls.update({ owner, repo, pull_number: 1, body: 'new metrics' });
    await octokit.rest.issues.addLabels({ owner, repo, issue_number: 1, labels: ['mlship', 'promotion'] });
    await octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: 1, reviewers: ['octocat'] });
    const pull = await octokit.rest.pulls.get({ owner, repo, pull_number: 1 });
    expect(pull.data.body).toBe('new metrics');
    expect(pull.data.labels.map((l) => l.name)).toEqual(['mlship', 'promotion']);
    expect(pull.data.requested_reviewers?.map((u) => u.login)).toEqual(['octocat']);

    // A second PR for the same head and base is refused, as GitHub does.
    expect(
      await statusOf(
        octokit.rest.pulls.create({
          owner,
          repo,
          title: 'again',
          head: 'mlship/promote-flights-staging',
          base: 'main',
        }),
      ),
    ).toBe(422);

    expect(gh.invalidRequests).toEqual([]);
  });

  it('upserts comments and paginates them with Link headers', async () => {
    const issue = await octokit.rest.issues.create({
      owner,
      repo,
      title: 'Drift detected',
      labels: ['drift'],
    });
    const n = issue.data.number;
    for (let i = 0; i < 5; i++)
      await octokit.rest.issues.createComment({ owner, repo, issue_number: n, body: `c${i}` });
    const all = await octokit.paginate(octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number: n,
      per_page: 2,
    });
    expect(all.map((c) => c.body)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    await octokit.rest.issues.updateComment({ owner, repo, comment_id: all[4].id, body: 'updated' });
    expect(gh.state.comments.at(-1)?.body).toBe('updated');
    const issues = await octokit.rest.issues.listForRepo({ owner, repo, labels: 'drift' });
    expect(issues.data.map((i) => i.number)).toEqual([n]);
    expect(gh.invalidRequests).toEqual([]);
  });

  it('records workflow dispatches', async () => {
    await octokit.rest.actions.createWorkflowDispatch({
      owner,
      repo,
      workflow_id: 'retrain.yml',
      ref: 'main',
      inputs: { reason: 'drift' },
    });
    expect(gh.state.dispatches).toEqual([
      { workflowId: 'retrain.yml', ref: 'main', inputs: { reason: 'drift' } },
    ]);
    expect(gh.invalidRequests).toEqual([]);
  });

  it('rejects and records requests that do not fit the description', async () => {
    const before = gh.invalidRequests.length;
    // `head` is required by the schema.
    expect(
      await statusOf(raw('POST /repos/{owner}/{repo}/pulls', { owner, repo, title: 't', base: 'main' })),
    ).toBe(422);
    // The schema allows omitting `title` (for `issue`), GitHub does not allow omitting both.
    expect(
      await statusOf(raw('POST /repos/{owner}/{repo}/pulls', { owner, repo, head: 'x', base: 'main' })),
    ).toBe(422);
    // Wrong type in the body, a typo'd property, a non-integer path parameter, an unknown route.
    expect(
      await statusOf(raw('POST /repos/{owner}/{repo}/issues/{n}/comments', { owner, repo, n: 1, body: 42 })),
    ).toBe(422);
    expect(await statusOf(raw('PATCH /repos/{owner}/{repo}/pulls/1', { owner, repo, titel: 'typo' }))).toBe(
      422,
    );
    expect(await statusOf(raw('GET /repos/{owner}/{repo}/issues/one/comments', { owner, repo }))).toBe(422);
    expect(await statusOf(raw('GET /repos/{owner}/{repo}/no-such-thing', { owner, repo }))).toBe(404);
    expect(await statusOf(raw('GET /repos/{owner}/{repo}/pulls', { owner, repo, colour: 'red' }))).toBe(422);
    const fresh = gh.invalidRequests.slice(before);
    expect(fresh).toHaveLength(7);
    expect(fresh[0].problems.join()).toMatch(/head/);
    expect(fresh[1].problems.join()).toMatch(/title or issue/);
    expect(fresh[2].problems.join()).toMatch(/body\/body must be string/);
    expect(fresh[3].problems.join()).toMatch(/titel/);
    expect(fresh[4].problems.join()).toMatch(/issue_number must be integer/);
    expect(fresh[5].problems.join()).toMatch(/no operation/);
    expect(fresh[6].problems.join()).toMatch(/unknown query parameter colour/);
    gh.invalidRequests.length = before;
  });

  it('rejects requests without a token and for another repository', async () => {
    const before = gh.invalidRequests.length;
    const anonymous = await fetch(`${gh.url}/repos/${owner}/${repo}/pulls`);
    expect(anonymous.status).toBe(401);
    expect(await statusOf(octokit.rest.pulls.list({ owner: 'someone', repo: 'else' }))).toBe(404);
    expect(gh.invalidRequests.slice(before).map((r) => r.status)).toEqual([401, 404]);
    gh.invalidRequests.length = before;
  });

  it('answers 501 for described operations it does not implement, and records them', async () => {
    const before = gh.invalidRequests.length;
    expect(await statusOf(octokit.rest.repos.listReleases({ owner, repo }))).toBe(501);
    expect(gh.invalidRequests.slice(before)[0].operationId).toBe('repos/list-releases');
    gh.invalidRequests.length = before;
  });
});

describe('fake GitHub workflow dispatches, checked against the workflow files', () => {
  it("accepts retrain.yml's declared inputs and rejects what GitHub rejects", async () => {
    const gh = await startFakeGitHub({
      owner,
      repo,
      workflowsDir: join(import.meta.dirname, '../../.github/workflows'),
    });
    try {
      const octokit = createGitHubClient({ token: 't', baseUrl: gh.url });
      const dispatch = (workflow_id: string, inputs: Record<string, string>) =>
        octokit.rest.actions.createWorkflowDispatch({ owner, repo, workflow_id, ref: 'main', inputs }).then(
          (r) => r.status,
          (e: RequestError) => e.status,
        );
      expect(await dispatch('retrain.yml', { reason: 'drift in production' })).toBe(204);
      expect(await dispatch('retrain.yml', { reason: 'x', 'window-from': '2001-05-01' })).toBe(422);
      expect(await dispatch('ci.yml', {})).toBe(422);
      expect(await dispatch('nope.yml', {})).toBe(404);
      expect(await dispatch('promote.yml', { environment: 'moon' })).toBe(422);
      expect(await dispatch('promote.yml', {})).toBe(422);
      expect(await dispatch('promote.yml', { environment: 'staging', version: '2' })).toBe(204);
      expect(gh.invalidRequests.map((r) => r.problems.join())).toEqual([
        'Unexpected inputs provided: ["window-from"]',
        "Workflow does not have 'workflow_dispatch' trigger",
        'Not Found: no workflow nope.yml',
        "Provided value 'moon' for input 'environment' not in the list of allowed values",
        "Required input 'environment' not provided",
      ]);
      expect(gh.state.dispatches.map((d) => d.workflowId)).toEqual(['retrain.yml', 'promote.yml']);
    } finally {
      await gh.close();
    }
  });
});

describe('repoFromEnv', () => {
  it('parses owner/repo and explains a bad value', () => {
    expect(repoFromEnv('acme/flights')).toEqual({ owner: 'acme', repo: 'flights' });
    expect(() => repoFromEnv('nope')).toThrow(/GITHUB_REPOSITORY.*owner\/repo/);
    expect(() => repoFromEnv('')).toThrow(/not set/);
  });
});
