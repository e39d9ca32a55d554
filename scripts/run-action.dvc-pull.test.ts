/**
 * run-action against a real committed bundle: actions/dvc-pull/dist/index.js, run as a runner runs it,
 * pulling from a local DVC-layout remote into a fresh workspace.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from './run-action.ts';

describe('runAction with the committed dvc-pull bundle', () => {
  let dir: string;
  let remote: string;
  const content = 'origin,destination,delayed\nATL,BOS,1\nSFO,LAX,0\n';
  const md5 = createHash('md5').update(content).digest('hex');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'run-dvc-pull-'));
    remote = join(dir, 'remote');
    await mkdir(join(remote, 'files', 'md5', md5.slice(0, 2)), { recursive: true });
    await writeFile(join(remote, 'files', 'md5', md5.slice(0, 2), md5.slice(2)), content);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function workspaceWithLock(name: string, hash: string): Promise<string> {
    const workspace = join(dir, name);
    await mkdir(workspace);
    const lock = `schema: 1\nouts:\n  - md5: ${hash}\n    size: ${content.length}\n    hash: md5\n    path: data/flights.csv\n`;
    await writeFile(join(workspace, 'data.lock'), lock);
    return workspace;
  }

  it('pulls and checks out the tracked file, with outputs and a job summary', async () => {
    const workspace = await workspaceWithLock('ok', md5);
    const result = await runAction({ action: 'dvc-pull', workspace, inputs: { remote, cache: 'false' } });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({
      files: '1',
      bytes: String(content.length),
      fetched: '1',
      'cache-hit': 'false',
    });
    expect(await readFile(join(workspace, 'data', 'flights.csv'), 'utf8')).toBe(content);
    expect(result.summary).toContain('Data pull');
    expect(result.annotations.filter((a) => a.level === 'error')).toEqual([]);
  });

  it('fails the step, as an error annotation, when the remote lacks an object', async () => {
    const workspace = await workspaceWithLock('missing', 'f'.repeat(32));
    const result = await runAction({ action: 'dvc-pull', workspace, inputs: { remote, cache: 'false' } });
    expect(result.exitCode).toBe(1);
    expect(result.annotations.filter((a) => a.level === 'error')).toHaveLength(1);
  });
});
