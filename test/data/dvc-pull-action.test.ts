import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addPaths, push } from '../../src/data/index.ts';
import { removeAll, tempDir, writeFiles } from './helpers.ts';

const bundle = join(import.meta.dirname, '..', '..', 'actions', 'dvc-pull', 'dist', 'index.js');

let source: string;
let target: string;
let remote: string;
beforeEach(async () => {
  source = await tempDir('act-src');
  target = await tempDir('act-dst');
  remote = await tempDir('act-remote');
});
afterEach(async () => removeAll(source, target, remote));

/** Runs the committed bundle the way the runner does: INPUT_* variables, output and summary files. */
async function runAction(inputs: Record<string, string>) {
  await writeFile(join(target, '.out'), '');
  await writeFile(join(target, '.summary'), '');
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('ACTIONS_') && !name.startsWith('GITHUB_')) env[name] = value;
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  env.GITHUB_OUTPUT = join(target, '.out');
  env.GITHUB_STEP_SUMMARY = join(target, '.summary');
  return spawnSync(process.execPath, [bundle], { cwd: target, env, encoding: 'utf8', timeout: 60_000 });
}

async function outputs(): Promise<Record<string, string>> {
  // GITHUB_OUTPUT holds name<<delimiter / value / delimiter blocks.
  const text = await readFile(join(target, '.out'), 'utf8');
  const found: Record<string, string> = {};
  for (const match of text.matchAll(/^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm)) found[match[1]] = match[3];
  return found;
}

describe('dvc-pull action (committed bundle)', () => {
  it('pulls off GitHub without the Actions cache, warning once, and reports outputs and a summary', async () => {
    await writeFiles(source, { 'data/d/a.txt': 'alpha', 'data/d/b.txt': 'beta', 'data/c.csv': 'x,y\n' });
    await addPaths({ workspace: source, paths: ['data/d', 'data/c.csv'] });
    await push({ workspace: source, remote });
    await writeFile(join(target, 'data.lock'), await readFile(join(source, 'data.lock')));

    const first = await runAction({ lock: 'data.lock', remote, jobs: '4', cache: 'true' });
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout.match(/::warning::/g)).toEqual(['::warning::']);
    expect(first.stdout).toMatch(/::warning::The GitHub Actions cache is not available here/);
    expect(await outputs()).toEqual({ files: '3', bytes: '13', fetched: '4', 'cache-hit': 'false' });
    expect(await readFile(join(target, 'data/d/b.txt'), 'utf8')).toBe('beta');
    const summary = await readFile(join(target, '.summary'), 'utf8');
    expect(summary).toContain('<h3>Data pull</h3>');
    expect(summary).toContain('<td>3</td>');

    const second = await runAction({ remote, cache: 'false' });
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).not.toContain('::warning::');
    expect(await outputs()).toMatchObject({ fetched: '0', 'cache-hit': 'true' });
  });

  it('fails the step with the one-line reason', async () => {
    const run = await runAction({ remote, cache: 'false' });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/::error::.*data lock not found/);
  });
});
