import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluateProject } from '../support/evaluate-world.ts';

/** `mlship evaluate | register | registry ls` through the real CLI entry point, in a user's project. */
const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const main = join(repo, 'src', 'cli', 'main.ts');
const tsx = join(repo, 'node_modules', '.bin', 'tsx');

async function mlship(cwd: string, ...args: string[]) {
  return run(tsx, [main, ...args], { cwd })
    .then(({ stdout, stderr }) => ({ stdout, stderr, code: 0 }))
    .catch((error: { stdout: string; stderr: string; code: number }) => error);
}

describe('mlship evaluate / register / registry ls', () => {
  let project: string;
  let root: string;
  beforeAll(async () => {
    const made = await createEvaluateProject();
    project = made.project;
    root = made.world.root;
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('evaluates (a failed gate exits 1), registers the passing run, lists it', async () => {
    const bad = await mlship(project, 'evaluate', '--run', 'run-noise');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAILED: flight-delay run run-noise \(no champion yet\)/);
    expect(bad.stdout).toMatch(/min\s+auc\s+0\.6\s+fail\s+auc 0\.\d+ is below the minimum 0\.6/);

    const good = await mlship(project, 'evaluate', '--run', 'run-good', '--json');
    expect(good.code).toBe(0);
    const result = JSON.parse(good.stdout);
    expect(result).toMatchObject({ passed: true, runId: 'run-good', champion: null });
    expect(result.reportPath).toBe(join(project, '.mlship', 'reports', 'flight-delay-run-good.html'));

    const registered = await mlship(project, 'register', '--run', 'run-good', '--json');
    expect(registered.code).toBe(0);
    expect(JSON.parse(registered.stdout)).toMatchObject({ version: 1, tag: 'flight-delay@v1.0.0' });

    const listing = await mlship(project, 'registry', 'ls');
    expect(listing.stdout).toMatch(/v1\s+flight-delay@v1\.0\.0\s+run-good\s+\S+\s+0\.\d{4}/);
  });
});
