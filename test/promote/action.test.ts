import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runAction } from '../../scripts/run-action.ts';
import { toYaml, writeFileAtomic } from '../../src/util/fs.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { type FakeEcr, startFakeEcr } from './fake-ecr.ts';
import { flightsLedger } from './fixtures.ts';

// Runs the committed bundle (actions/promote/dist/index.js) the way a runner does, through
// scripts/run-action.ts: inputs as INPUT_* variables, outputs and the job summary through the files
// GitHub names.
const root = join(import.meta.dirname, '..', '..');
const digest = `sha256:${'5'.repeat(64)}`;

let dir: string;
let gh: FakeGitHub;
let ecr: FakeEcr;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlship-promote-action-'));
  const work = join(dir, 'work');
  git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', join(dir, 'remote.git'));
  await mkdir(work);
  git(work, 'init', '--quiet', '--initial-branch=main');
  git(work, 'remote', 'add', 'origin', join(dir, 'remote.git'));
  git(work, 'config', 'user.name', 'Test');
  git(work, 'config', 'user.email', 'test@example.com');
  for (const sub of ['base', 'overlays', 'monitoring']) {
    await cp(join(root, 'gitops', sub), join(work, 'gitops', sub), { recursive: true });
  }
  await writeFileAtomic(join(work, 'gitops', 'registry', 'flights.yaml'), toYaml(flightsLedger(2)));
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'initial');
  git(work, 'push', '--quiet', 'origin', 'main');
  gh = await startFakeGitHub({ owner: 'acme', repo: 'mlship' });
  ecr = await startFakeEcr({
    images: [{ repository: 'mlship-serve', tags: ['abc123'], digest, findings: { LOW: 3 } }],
  });
});
afterAll(async () => {
  await gh?.close();
  await ecr?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The committed bundle, run as the runner runs it (scripts/run-action.ts). */
function promoteStep(inputs: Record<string, string>) {
  return runAction({
    action: 'promote',
    workspace: dir,
    inputs,
    github: { apiUrl: gh.url, repository: 'acme/mlship' },
    env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'eu-central-1' },
  });
}

const inputs = () => ({
  model: 'flights',
  environment: 'production',
  'image-tag': 'abc123',
  'image-repository': 'mlship-serve',
  'allow-critical': 'false',
  'ecr-endpoint': ecr.endpoint,
  token: 'test',
  labels: 'promotion\nproduction',
  reviewers: 'carol, acme/sre',
  remote: 'origin',
  'gitops-path': 'gitops',
  'working-directory': join(dir, 'work'),
});

it('opens the pull request and sets its outputs; a second run changes nothing', async () => {
  const first = await promoteStep(inputs());
  expect(first.outputs).toMatchObject({
    branch: 'mlship/promote/flights/production',
    changed: 'true',
    'up-to-date': 'false',
    version: '2',
    'pr-number': '1',
    'pr-url': 'https://github.com/acme/mlship/pull/1',
  });
  expect(first.summary).toContain('## Promote flights v2 to production');
  expect(first.summary).toContain(`111122223333.dkr.ecr.eu-central-1.amazonaws.com/mlship-serve@${digest}`);
  expect(gh.state.issues[0].pull).toMatchObject({ requestedReviewers: ['carol'], requestedTeams: ['sre'] });

  const second = await promoteStep(inputs());
  expect(second.outputs).toMatchObject({ changed: 'false', 'pr-number': '1', commit: first.outputs.commit });
  expect(gh.state.issues).toHaveLength(1);
  expect(gh.invalidRequests).toEqual([]);
  expect(ecr.invalidRequests).toEqual([]);
});

it('fails the step with the user error when the version does not exist', async () => {
  const { stdout } = await promoteStep({ ...inputs(), version: '7' });
  expect(stdout).toMatch(/::error::.*no version 7.*pick one of: 1, 2/);
});
