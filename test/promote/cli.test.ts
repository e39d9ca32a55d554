import { execFile, execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toYaml, writeFileAtomic } from '../../src/util/fs.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { type FakeEcr, startFakeEcr } from './fake-ecr.ts';
import { flightsLedger } from './fixtures.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const digest = `sha256:${'4'.repeat(64)}`;

let dir: string;
let gh: FakeGitHub;
let ecr: FakeEcr;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlship-promote-cli-'));
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
  ecr = await startFakeEcr({ images: [{ repository: 'serve', tags: ['2.0.0'], digest, findings: {} }] });
});
afterAll(async () => {
  await gh?.close();
  await ecr?.close();
  await rm(dir, { recursive: true, force: true });
});

it('mlship promote --json resolves the tag in ECR, pushes the branch and opens the pull request', async () => {
  const args = [
    join(root, 'src', 'cli', 'main.ts'),
    'promote',
    ...[
      '--model',
      'flights',
      '--environment',
      'staging',
      '--image-repository',
      'serve',
      '--image-tag',
      '2.0.0',
    ],
    ...[
      '--ecr-endpoint',
      ecr.endpoint,
      '--region',
      'us-west-2',
      '--label',
      'promotion,staging',
      '--reviewer',
      'bob',
    ],
    ...['--repo', join(dir, 'work')],
  ];
  const githubArgs = ['--github-repository', 'acme/mlship', '--github-api-url', gh.url];
  const env = {
    ...process.env,
    GITHUB_TOKEN: 'test',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
  };
  const { stdout } = await run(
    join(root, 'node_modules', '.bin', 'tsx'),
    [...args, ...githubArgs, '--json'],
    {
      env,
      cwd: dir,
    },
  );
  const result = JSON.parse(stdout);
  expect(result).toMatchObject({
    version: 2,
    changed: true,
    image: { name: '111122223333.dkr.ecr.us-west-2.amazonaws.com/serve', digest, tag: '2.0.0' },
    pullRequest: { number: 1, created: true },
  });
  expect(gh.state.issues[0].labels.sort()).toEqual(['promotion', 'staging']);
  expect(gh.state.issues[0].pull?.requestedReviewers).toEqual(['bob']);
  expect(gh.invalidRequests).toEqual([]);
  expect(ecr.invalidRequests).toEqual([]);

  // Without a token: the branch is already there, so nothing changes and the body is printed.
  const again = await run(join(root, 'node_modules', '.bin', 'tsx'), args, {
    env: { ...env, GITHUB_TOKEN: '' },
    cwd: dir,
  });
  expect(again.stdout).toContain('mlship/promote/flights/staging already up to date');
  expect(again.stdout).toContain('## Promote flights v2 to staging');
}, 180_000); // two CLI processes that import every command: slow on a loaded machine
