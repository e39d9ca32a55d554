import { execFile, execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toYaml, writeFileAtomic } from '../../src/util/fs.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { type FakeEcr, startFakeEcr } from './fake-ecr.ts';
import { flightsLedger } from './fixtures.ts';

// Runs the committed bundle (actions/promote/dist/index.js) the way a runner does: inputs as
// INPUT_* variables, outputs and the job summary through the files GitHub names.
const run = promisify(execFile);
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

async function runAction(inputs: Record<string, string>) {
  const output = join(dir, `output-${Math.random().toString(36).slice(2)}`);
  const summary = join(dir, `summary-${Math.random().toString(36).slice(2)}`);
  await writeFile(output, '');
  await writeFile(summary, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_REPOSITORY: 'acme/mlship',
    GITHUB_API_URL: gh.url,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_REGION: 'eu-central-1',
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const result = await run(process.execPath, [join(root, 'actions', 'promote', 'dist', 'index.js')], {
    env,
  }).catch((error: { stdout: string; code: number }) => error);
  // GITHUB_OUTPUT holds `name<<delimiter\nvalue\ndelimiter` blocks.
  const outputs: Record<string, string> = {};
  const text = await readFile(output, 'utf8');
  for (const m of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) outputs[m[1]] = m[3];
  return { stdout: result.stdout, outputs, summary: await readFile(summary, 'utf8') };
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
  const first = await runAction(inputs());
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

  const second = await runAction(inputs());
  expect(second.outputs).toMatchObject({ changed: 'false', 'pr-number': '1', commit: first.outputs.commit });
  expect(gh.state.issues).toHaveLength(1);
  expect(gh.invalidRequests).toEqual([]);
  expect(ecr.invalidRequests).toEqual([]);
});

it('fails the step with the user error when the version does not exist', async () => {
  const { stdout } = await runAction({ ...inputs(), version: '7' });
  expect(stdout).toMatch(/::error::.*no version 7.*pick one of: 1, 2/);
});
