import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../src/github/client.ts';
import { parseEnvManifest } from '../../src/gitops/manifest.ts';
import { promote, promotionBranch } from '../../src/promote/promote.ts';
import { renderOverlayObjects } from '../../src/promote/render.ts';
import { toYaml, writeFileAtomic } from '../../src/util/fs.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { type FakeEcr, startFakeEcr } from './fake-ecr.ts';
import { flightsLedger } from './fixtures.ts';

const repoGitops = join(import.meta.dirname, '..', '..', 'gitops');
const digestV1 = `sha256:${'1'.repeat(64)}`;
const digestV2 = `sha256:${'2'.repeat(64)}`;
const digestBad = `sha256:${'9'.repeat(64)}`;
const imageName = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlship-serve';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

let root: string;
let remote: string;
let work: string;
let gh: FakeGitHub;
let ecr: FakeEcr;

const ecrClient = () => ({
  endpoint: ecr.endpoint,
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});
const github = () => ({
  client: createGitHubClient({ token: 'test', baseUrl: gh.url }),
  owner: 'acme',
  repo: 'mlship',
});
const writes = () => gh.requests.filter((r) => r.method !== 'GET');

beforeAll(async () => {
  ecr = await startFakeEcr({
    images: [
      { repository: 'mlship-serve', tags: ['1.0.0'], digest: digestV1, findings: { HIGH: 1 } },
      { repository: 'mlship-serve', tags: ['1.1.0', 'latest'], digest: digestV2, findings: {} },
      { repository: 'mlship-serve', tags: ['bad'], digest: digestBad, findings: { CRITICAL: 2 } },
    ],
  });
});
afterAll(async () => {
  expect(ecr.invalidRequests).toEqual([]);
  await ecr.close();
});

// Each test starts from a fresh repository: a bare remote and a clone whose main holds gitops/
// (as committed in this repository) and a ledger with three registered versions.
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mlship-promote-test-'));
  remote = join(root, 'remote.git');
  work = join(root, 'work');
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
  await mkdir(work);
  git(work, 'init', '--quiet', '--initial-branch=main');
  git(work, 'remote', 'add', 'origin', remote);
  git(work, 'config', 'user.name', 'Test');
  git(work, 'config', 'user.email', 'test@example.com');
  await mkdir(join(work, 'gitops'));
  for (const dir of ['base', 'overlays', 'argocd', 'monitoring']) {
    await cp(join(repoGitops, dir), join(work, 'gitops', dir), { recursive: true });
  }
  await writeFileAtomic(join(work, 'gitops', 'registry', 'flights.yaml'), toYaml(flightsLedger(3)));
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'initial');
  git(work, 'push', '--quiet', 'origin', 'main');
  gh = await startFakeGitHub({ owner: 'acme', repo: 'mlship' });
  return async () => {
    expect(gh.invalidRequests).toEqual([]);
    await gh.close();
    await rm(root, { recursive: true, force: true });
  };
});

/** Merges the promotion branch into main the way a reviewer's merge would, and pushes main. */
function merge(environment: string) {
  git(work, 'merge', '--quiet', '--no-ff', '-m', 'merge promotion', promotionBranch('flights', environment));
  git(work, 'push', '--quiet', 'origin', 'main');
}

async function remoteFile(ref: string, path: string): Promise<string> {
  return git(remote, 'show', `${ref}:${path}`);
}

describe('promote', () => {
  it('pushes one branch and opens one pull request that pins the newest version and the image digest', async () => {
    const headBefore = git(work, 'rev-parse', 'HEAD');
    const result = await promote({
      repoDir: work,
      model: 'flights',
      environment: 'staging',
      image: { repository: 'mlship-serve', tag: '1.1.0', ecr: ecrClient() },
      github: github(),
      labels: ['promotion', 'env:staging'],
      reviewers: ['alice', 'acme/ml-platform'],
    });
    expect(result).toMatchObject({
      version: 3,
      previousVersion: null,
      branch: 'mlship/promote/flights/staging',
      base: 'main',
      upToDate: false,
      changed: true,
      image: { name: imageName, digest: digestV2, tag: '1.1.0' },
      pullRequest: { number: 1, created: true },
    });
    const branchSha = git(remote, 'rev-parse', `refs/heads/${result.branch}`);
    expect(branchSha).toBe(result.commit);
    expect(git(remote, 'rev-parse', `${branchSha}^`)).toBe(headBefore);

    // What the branch changes: exactly the environment's model.yaml and its kustomization.
    expect(git(remote, 'diff', '--name-only', 'main', branchSha).split('\n').sort()).toEqual([
      'gitops/overlays/staging/kustomization.yaml',
      'gitops/overlays/staging/model.yaml',
    ]);
    const manifest = parseEnvManifest(
      await remoteFile(branchSha, 'gitops/overlays/staging/model.yaml'),
      'model.yaml',
    );
    const v3 = flightsLedger(3).versions[2];
    expect(manifest).toEqual({
      schema: 1,
      model: 'flights',
      version: 3,
      environment: 'staging',
      artifact: { uri: v3.artifact.uri, sha256: v3.artifact.sha256 },
      profile: v3.profile,
    });
    const kustomization = await remoteFile(branchSha, 'gitops/overlays/staging/kustomization.yaml');
    expect(kustomization).toContain(`digest: ${digestV2}`);
    expect(kustomization).toContain('# The staging environment.'); // comments survive the edit

    // The pull request GitHub received.
    const [pull] = gh.state.issues;
    expect(pull.title).toBe('Promote flights v3 to staging');
    expect(pull.pull).toMatchObject({
      head: result.branch,
      base: 'main',
      requestedReviewers: ['alice'],
      requestedTeams: ['ml-platform'],
    });
    expect(pull.labels.sort()).toEqual(['env:staging', 'promotion']);
    expect(pull.body).toBe(result.body);
    expect(pull.body).toContain('| auc | – | 0.7300 | – |');
    expect(pull.body).toContain(`\`${imageName}@${digestV2}\` (tag \`1.1.0\`)`);
    expect(pull.body).toContain('`s3://mlship-store/demo/runs/run-3/report.html`');

    // The caller's checkout is untouched; a local branch is there to inspect.
    expect(git(work, 'rev-parse', 'HEAD')).toBe(headBefore);
    expect(git(work, 'status', '--porcelain')).toBe('');
    expect(git(work, 'rev-parse', result.branch)).toBe(branchSha);
    expect(git(work, 'worktree', 'list').split('\n')).toHaveLength(1);
  });

  it('changes nothing when re-run with the same inputs', async () => {
    const options = {
      repoDir: work,
      model: 'flights',
      version: 2,
      environment: 'production',
      image: { repository: 'mlship-serve', tag: '1.0.0', ecr: ecrClient() },
      labels: ['promotion'],
      reviewers: ['alice'],
    };
    const first = await promote({ ...options, github: github() });
    const writesAfterFirst = writes().length;
    // Main moves on elsewhere meanwhile: the open promotion still merges, so it is left alone.
    await writeFileAtomic(join(work, 'README.md'), 'unrelated\n');
    git(work, 'add', 'README.md');
    git(work, 'commit', '--quiet', '-m', 'unrelated');
    git(work, 'push', '--quiet', 'origin', 'main');
    const second = await promote({ ...options, github: github() });
    expect(second).toMatchObject({ changed: false, upToDate: false, commit: first.commit });
    expect(second.pullRequest).toEqual({ ...first.pullRequest, created: false, updated: false });
    expect(writes()).toHaveLength(writesAfterFirst);
    expect(gh.state.issues).toHaveLength(1);
    expect(git(remote, 'rev-parse', `refs/heads/${first.branch}`)).toBe(first.commit);
  });

  it('updates the open pull request in place when the promotion changes', async () => {
    const base = { repoDir: work, model: 'flights', environment: 'staging', github: github() };
    const first = await promote({ ...base, version: 2, image: { name: imageName, digest: digestV1 } });
    const second = await promote({ ...base, version: 3, image: { name: imageName, digest: digestV1 } });
    expect(second.pullRequest).toMatchObject({
      number: first.pullRequest?.number,
      created: false,
      updated: true,
    });
    expect(second.changed).toBe(true);
    expect(second.commit).not.toBe(first.commit);
    // Rebuilt on main, not stacked on the previous promotion commit.
    expect(git(remote, 'rev-parse', `${second.commit}^`)).toBe(git(remote, 'rev-parse', 'main'));
    expect(gh.state.issues).toHaveLength(1);
    expect(gh.state.issues[0].title).toBe('Promote flights v3 to staging');
  });

  it('works without a token: pushes the branch and returns the body', async () => {
    const result = await promote({
      repoDir: work,
      model: 'flights',
      environment: 'staging',
      image: { name: imageName, digest: digestV1 },
      reportUrl: 'https://reports.example.com/{model}/{runId}',
    });
    expect(result.body).toContain('- v3: [run-3](https://reports.example.com/flights/run-3)');
    expect(result.pullRequest).toBeNull();
    expect(result.changed).toBe(true);
    expect(result.body).toContain('## Promote flights v3 to staging');
    expect(git(remote, 'rev-parse', `refs/heads/${result.branch}`)).toBe(result.commit);
    expect(gh.requests).toEqual([]);
  });

  it('once merged, the overlay renders the version and digest, and promoting again is a no-op', async () => {
    await promote({
      repoDir: work,
      model: 'flights',
      environment: 'staging',
      image: { name: imageName, digest: digestV1 },
    });
    merge('staging');
    const objects = await renderOverlayObjects(join(work, 'gitops', 'overlays', 'staging'));
    // biome-ignore lint/suspicious/noExplicitAny: walking a rendered object
    const rollout = objects.find((o) => o.kind === 'Rollout') as any;
    expect(rollout.spec.template.spec.containers[0].image).toBe(`${imageName}@${digestV1}`);
    const configMap = objects.find((o) => o.kind === 'ConfigMap');
    expect((configMap?.data as Record<string, string> | undefined)?.['model.yaml']).toContain('version: 3');

    const again = await promote({
      repoDir: work,
      model: 'flights',
      environment: 'staging',
      github: github(),
    });
    expect(again).toMatchObject({ upToDate: true, changed: false, pullRequest: null, version: 3 });
    expect(gh.requests).toEqual([]);
  });

  it('rolls back by promoting an older version, showing the metrics it replaces', async () => {
    await promote({
      repoDir: work,
      model: 'flights',
      environment: 'production',
      image: { name: imageName, digest: digestV2 },
    });
    merge('production');
    const rollback = await promote({
      repoDir: work,
      model: 'flights',
      version: 1,
      environment: 'production',
      github: github(),
    });
    expect(rollback).toMatchObject({
      version: 1,
      previousVersion: 3,
      changed: true,
      image: { digest: digestV2 },
    });
    expect(rollback.title).toBe('Roll back flights to v1 in production (from v3)');
    expect(rollback.body).toContain('| auc | 0.7300 | 0.7100 | -0.0200 |');
    expect(rollback.body).toContain('| log_loss | 0.4200 | 0.4400 | +0.0200 |');
    expect(rollback.body).toContain('- v3: `s3://mlship-store/demo/runs/run-3/report.html`');
    expect(gh.state.issues[0].title).toBe(rollback.title);
  });

  it('refuses an image with CRITICAL findings unless allowed, before pushing anything', async () => {
    const options = { repoDir: work, model: 'flights', environment: 'staging' };
    await expect(
      promote({ ...options, image: { repository: 'mlship-serve', tag: 'bad', ecr: ecrClient() } }),
    ).rejects.toThrow(/2 CRITICAL finding/);
    expect(git(remote, 'branch', '--list')).toBe('* main');
    const allowed = await promote({
      ...options,
      image: { repository: 'mlship-serve', tag: 'bad', allowCritical: true, ecr: ecrClient() },
    });
    expect(allowed.image.digest).toBe(digestBad);
    expect(allowed.body).toContain('CRITICAL 2');
  });

  it('refuses to overwrite a branch someone pushed to since it looked', async () => {
    const options = { repoDir: work, model: 'flights', environment: 'staging' };
    await promote({ ...options, version: 2, image: { name: imageName, digest: digestV1 } });
    // Another promotion lands on the branch between our look (ls-remote) and our push: simulated
    // by a pre-push hook that moves the remote branch first.
    const other = git(remote, 'rev-parse', 'main');
    await writeFileAtomic(
      join(work, '.git', 'hooks', 'pre-push'),
      `#!/bin/sh\ngit push --no-verify --quiet --force "$1" ${other}:refs/heads/mlship/promote/flights/staging\n`,
    );
    execFileSync('chmod', ['+x', join(work, '.git', 'hooks', 'pre-push')]);
    await expect(
      promote({ ...options, version: 3, image: { name: imageName, digest: digestV1 } }),
    ).rejects.toThrow(/changed while promoting.*run the promotion again/);
    expect(git(remote, 'rev-parse', 'refs/heads/mlship/promote/flights/staging')).toBe(other);
  });

  it('names the problem when the model, version or environment does not exist', async () => {
    const image = { name: imageName, digest: digestV1 };
    await expect(promote({ repoDir: work, model: 'nope', environment: 'staging', image })).rejects.toThrow(
      /model "nope" has no registered versions/,
    );
    await expect(
      promote({ repoDir: work, model: 'flights', version: 9, environment: 'staging', image }),
    ).rejects.toThrow(/no version 9.*pick one of: 1, 2, 3/);
    await expect(promote({ repoDir: work, model: 'flights', environment: 'qa', image })).rejects.toThrow(
      /environment "qa" has no overlay/,
    );
    await expect(promote({ repoDir: work, model: 'flights', environment: 'staging' })).rejects.toThrow(
      /nothing pins the serving image/,
    );
    expect(git(work, 'worktree', 'list').split('\n')).toHaveLength(1);
    expect(await readFile(join(work, 'gitops', 'registry', 'flights.yaml'), 'utf8')).toContain('run-3');
  });
});
