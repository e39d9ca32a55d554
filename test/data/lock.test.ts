import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLock, readLock, upsertOuts, writeLock } from '../../src/data/lock.ts';
import { UserError } from '../../src/errors.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlship-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const file = { md5: '37b51d194a7513e45b56f6524f2d51f2', size: 3, hash: 'md5' as const, path: 'data/bar' };
const directory = {
  md5: '5ea40360f5b4ec688df672a4db9c17d1.dir',
  size: 6,
  nfiles: 2,
  hash: 'md5' as const,
  path: 'data/dir',
};

describe('data.lock', () => {
  it('writes DVC .dvc field names in DVC order and reads them back', async () => {
    const path = join(dir, 'data.lock');
    await writeLock(path, { schema: 1, outs: [directory, file] });
    expect(await readFile(path, 'utf8')).toBe(
      [
        'schema: 1',
        'outs:',
        '  - md5: 5ea40360f5b4ec688df672a4db9c17d1.dir',
        '    size: 6',
        '    nfiles: 2',
        '    hash: md5',
        '    path: data/dir',
        '  - md5: 37b51d194a7513e45b56f6524f2d51f2',
        '    size: 3',
        '    hash: md5',
        '    path: data/bar',
        '',
      ].join('\n'),
    );
    expect(await readLock(path)).toEqual({ schema: 1, outs: [directory, file] });
  });

  it.each([
    ['../outside', /escapes the workspace/],
    ['data/../../outside', /escapes the workspace/],
    ['/etc/passwd', /is absolute/],
    ['C:/x', /is absolute/],
    ['data\\x', /backslashes/],
    ['.', /workspace itself/],
    ['.mlship/cache/x', /mlship manages/],
    ['.git/config', /mlship manages/],
  ])('refuses the path %s', (path, message) => {
    const run = () => parseLock({ schema: 1, outs: [{ ...file, path }] }, 'data.lock');
    expect(run).toThrow(UserError);
    expect(run).toThrow(message);
    expect(run).toThrow(/data\.lock: outs\.0\.path/);
  });

  it('names the field of a malformed entry', () => {
    expect(() => parseLock({ schema: 1, outs: [{ ...file, md5: 'nope' }] }, 'data.lock')).toThrow(
      /data\.lock: outs\.0\.md5/,
    );
    expect(() => parseLock({ schema: 2, outs: [] }, 'data.lock')).toThrow(/data\.lock: schema/);
    expect(() => parseLock({ schema: 1, outs: [{ ...file, extra: 1 }] }, 'data.lock')).toThrow(/extra/);
    expect(() =>
      parseLock({ schema: 1, outs: [directory, { ...file, path: 'data/dir/x' }] }, 'data.lock'),
    ).toThrow(/overlaps/);
  });

  it('reports an invalid YAML file by name', async () => {
    const path = join(dir, 'data.lock');
    await writeFile(path, 'schema: [1\n');
    await expect(readLock(path)).rejects.toThrow(/invalid YAML/);
  });

  it('upserts: a directory replaces files inside it, a file inside a tracked directory is refused', () => {
    const lock = { schema: 1 as const, outs: [{ ...file, path: 'data/dir/a' }, file] };
    expect(upsertOuts(lock, [directory], 'data.lock').outs.map((out) => out.path)).toEqual([
      'data/bar',
      'data/dir',
    ]);
    expect(() =>
      upsertOuts({ schema: 1, outs: [directory] }, [{ ...file, path: 'data/dir/x' }], 'data.lock'),
    ).toThrow(/inside the tracked directory/);
  });
});

describe('remote resolution', () => {
  it('takes --remote, else the spec remote relative to the spec, else .mlship/remote', async () => {
    const { resolveRemote } = await import('../../src/data/index.ts');
    expect(await resolveRemote({ workspace: dir, remote: 's3://b/p' })).toBe('s3://b/p');
    expect(await resolveRemote({ workspace: dir })).toBe(join(dir, '.mlship', 'remote'));
    const spec = await readFile(join(import.meta.dirname, '..', '..', 'mlship.yaml'), 'utf8');
    await writeFile(join(dir, 'mlship.yaml'), spec.replace(/^remote: .*$/m, 'remote: ../shared-remote'));
    expect(await resolveRemote({ workspace: dir })).toBe(join(dir, '..', 'shared-remote'));
    await writeFile(join(dir, 'mlship.yaml'), spec.replace(/^remote: .*$/m, 'remote: s3://bucket/data'));
    expect(await resolveRemote({ workspace: dir })).toBe('s3://bucket/data');
  });
});
