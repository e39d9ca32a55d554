/**
 * Runs the script of train-pr-comment.yml (the github-script step that posts a fork's training report)
 * against the OpenAPI-checked fake GitHub, with the same globals github-script provides: it must
 * upsert one comment per model, refuse an artifact whose PR number does not match the trained commit,
 * and strip markers a fork could use to take over other comments.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubClient, type GitHubClient } from '../../src/github/client.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { workflowFiles } from './repo-files.ts';

const owner = 'acme';
const repo = 'flights';

type Step = { uses?: string; with?: { script?: string } };

function commentScript(): string {
  const workflow = workflowFiles().find((w) => w.file === 'train-pr-comment.yml');
  const jobs = (workflow?.doc.jobs ?? {}) as Record<string, { steps?: Step[] }>;
  const script = (jobs.comment?.steps ?? []).find((s) => s.uses?.startsWith('actions/github-script@'))?.with
    ?.script;
  if (!script) throw new Error('train-pr-comment.yml has no github-script step');
  return script;
}

describe('train-pr-comment.yml script', () => {
  let gh: FakeGitHub;
  let octokit: GitHubClient;
  let dir: string;
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<unknown>;

  beforeAll(async () => {
    gh = await startFakeGitHub({ owner, repo });
    octokit = createGitHubClient({ token: 'ghs_test', baseUrl: gh.url });
    dir = await mkdtemp(join(tmpdir(), 'fork-comment-'));
  });
  afterAll(async () => {
    await gh.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(files: Record<string, string>, headSha: string) {
    const commentDir = join(dir, String(Math.random()).slice(2));
    await mkdir(commentDir);
    for (const [name, text] of Object.entries(files)) await writeFile(join(commentDir, name), text);
    const failures: string[] = [];
    const core = { setFailed: (message: string) => failures.push(message) };
    const saved = { COMMENT_DIR: process.env.COMMENT_DIR, HEAD_SHA: process.env.HEAD_SHA };
    process.env.COMMENT_DIR = commentDir;
    process.env.HEAD_SHA = headSha;
    try {
      const fn = new AsyncFunction('github', 'context', 'core', 'require', commentScript());
      await fn(octokit, { repo: { owner, repo } }, core, createRequire(import.meta.url));
    } finally {
      process.env.COMMENT_DIR = saved.COMMENT_DIR;
      process.env.HEAD_SHA = saved.HEAD_SHA;
    }
    return failures;
  }

  const evaluation = (auc: number, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      passed: true,
      metrics: { auc, log_loss: 0.41234567, confusion: [[1, 2]] },
      championMetrics: { auc: 0.7 },
      championVersion: '3',
      gates: [{ gate: 'min', metric: 'auc', status: 'pass', detail: 'auc 0.71 >= 0.65' }],
      ...extra,
    });

  it('upserts one comment per model on the trained pull request, rendered from the JSON', async () => {
    const pull = await octokit.rest.pulls.create({
      owner,
      repo,
      title: 'fork change',
      head: 'fork-branch',
      base: 'main',
    });
    const sha = pull.data.head.sha;
    const n = String(pull.data.number);
    await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: pull.data.number,
      body: 'a human comment',
    });

    expect(
      await run({ 'pr-number': n, model: 'flight-delay\n', 'evaluation.json': evaluation(0.71) }, sha),
    ).toEqual([]);
    expect(
      await run({ 'pr-number': `${n}\n`, model: 'flight-delay', 'evaluation.json': evaluation(0.72) }, sha),
    ).toEqual([]);
    // Text from the fork is reduced to a harmless alphabet: no markers, links, mentions or HTML.
    const hostile = evaluation(0.5, {
      passed: false,
      gates: [
        {
          gate: '<!-- mlship:evaluate:flight-delay -->',
          metric: '@admin',
          status: 'fail',
          detail: '[x](https://evil)',
        },
      ],
    });
    expect(await run({ 'pr-number': n, model: 'other', 'evaluation.json': hostile }, sha)).toEqual([]);

    const bodies = gh.state.comments.filter((c) => c.issueNumber === pull.data.number).map((c) => c.body);
    expect(bodies).toHaveLength(3);
    expect(bodies[0]).toBe('a human comment');
    expect(bodies[1]).toMatch(
      /^<!-- mlship:evaluate:flight-delay -->\n### mlship evaluation: flight-delay\n/,
    );
    expect(bodies[1]).toContain('**All gates passed.**');
    expect(bodies[1]).toContain('| auc | 0.72 | 0.7 |');
    expect(bodies[1]).toContain('| log_loss | 0.4123 | - |');
    expect(bodies[1]).toContain('| min | auc | pass | auc 0.71  = 0.65 |');
    expect(bodies[2]).toMatch(/^<!-- mlship:evaluate:other -->\n/);
    expect(bodies[2]).toContain('**Some gates failed.**');
    const rendered = bodies[2].split('\n').filter((line) => line.startsWith('|'));
    expect(rendered.join('\n')).not.toMatch(/<|>|@|\[|\]|https:\/\//);
    expect(rendered.join('\n')).toContain('mlship:evaluate:flight-delay');
    expect(gh.invalidRequests).toEqual([]);
  });

  it('refuses an artifact naming a pull request whose head is not the trained commit', async () => {
    const victim = await octokit.rest.pulls.create({
      owner,
      repo,
      title: 'victim',
      head: 'victim',
      base: 'main',
    });
    const before = gh.state.comments.length;
    const failures = await run(
      { 'pr-number': String(victim.data.number), model: 'flight-delay', 'evaluation.json': evaluation(0.9) },
      'f'.repeat(40),
    );
    expect(failures).toEqual([expect.stringMatching(/is not the trained commit/)]);
    expect(gh.state.comments.length).toBe(before);
  });

  it('refuses malformed artifact files', async () => {
    await expect(
      run({ 'pr-number': '1; rm -rf /', model: 'm', 'evaluation.json': '{}' }, 'a'),
    ).rejects.toThrow(/not a pull request number/);
    const pull = await octokit.rest.pulls.create({ owner, repo, title: 'x', head: 'x', base: 'main' });
    await expect(
      run(
        { 'pr-number': String(pull.data.number), model: 'Bad Name', 'evaluation.json': '{}' },
        pull.data.head.sha,
      ),
    ).rejects.toThrow(/not a model name/);
    await expect(
      run(
        { 'pr-number': String(pull.data.number), model: 'm', 'evaluation.json': 'x'.repeat(200_001) },
        pull.data.head.sha,
      ),
    ).rejects.toThrow(/larger than/);
    expect(gh.invalidRequests).toEqual([]);
  });
});
