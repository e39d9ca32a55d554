import { afterEach, describe, expect, it } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../../test/support/fake-github.ts';
import { createGitHubClient } from './client.ts';
import { evaluateMarker, upsertComment } from './comments.ts';

let gh: FakeGitHub | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

describe('upsertComment', () => {
  it('creates one comment per model and updates it in place, across pages of other comments', async () => {
    gh = await startFakeGitHub({ owner: 'acme', repo: 'flights' });
    const client = createGitHubClient({ token: 'test-token', baseUrl: gh.url });
    const repo = { owner: 'acme', repo: 'flights' };
    const { data: pull } = await client.rest.pulls.create({
      ...repo,
      title: 'More trees',
      head: 'more-trees',
      base: 'main',
    });
    // Enough chatter that the marker comment is not on the first page.
    for (let i = 0; i < 105; i++) {
      await client.rest.issues.createComment({ ...repo, issue_number: pull.number, body: `chatter ${i}` });
    }
    const upsert = (model: string, body: string) =>
      upsertComment({ client, ...repo, issueNumber: pull.number, marker: evaluateMarker(model), body });

    const first = await upsert('flight-delay', 'AUC 0.70');
    expect(first.action).toBe('created');
    const second = await upsert('flight-delay', 'AUC 0.72');
    expect(second).toMatchObject({ id: first.id, action: 'updated' });
    expect((await upsert('flight-delay', 'AUC 0.72')).action).toBe('unchanged');
    const other = await upsert('taxi-time', 'RMSE 3.1');
    expect(other.action).toBe('created');
    expect(other.id).not.toBe(first.id);

    const ours = gh.state.comments.filter((c) => c.body.includes('<!-- mlship:evaluate:'));
    expect(ours.map((c) => c.body)).toEqual([
      '<!-- mlship:evaluate:flight-delay -->\nAUC 0.72',
      '<!-- mlship:evaluate:taxi-time -->\nRMSE 3.1',
    ]);
    expect(gh.invalidRequests).toEqual([]);
  });
});
