import { spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addPaths, pull, push, readLock, status, writeLock } from '../../src/data/index.ts';
import { UserError } from '../../src/errors.ts';
import { filesUnder, md5, removeAll, tempDir, writeFiles } from './helpers.ts';

let source: string;
let target: string;
let remote: string;

beforeEach(async () => {
  source = await tempDir('src');
  target = await tempDir('dst');
  remote = await tempDir('remote');
});
afterEach(async () => removeAll(source, target, remote));

const dataset = {
  'data/flights/2001-01.parquet': 'january bytes',
  'data/flights/2001-02.parquet': 'february bytes',
  'data/images/a.txt': 'foo',
  'data/images/sub/b.txt': 'bar',
  'data/images/sub/c.txt': 'foo',
};

describe('data add / push / pull / status against a local remote', () => {
  it('round-trips files and directories, DVC layout on the remote, and no-ops when warm', async () => {
    await writeFiles(source, dataset);
    const added = await addPaths({
      workspace: source,
      paths: ['data/flights/2001-01.parquet', 'data/flights/2001-02.parquet', 'data/images'],
    });
    expect(added.files).toBe(5);
    const lock = await readLock(join(source, 'data.lock'));
    const images = lock.outs.find((out) => out.path === 'data/images')!;
    expect(images).toMatchObject({ nfiles: 3, size: 9, hash: 'md5' });
    expect(images.md5).toMatch(/\.dir$/);
    expect(lock.outs.find((out) => out.path === 'data/flights/2001-01.parquet')).toEqual({
      md5: md5('january bytes'),
      size: 13,
      hash: 'md5',
      path: 'data/flights/2001-01.parquet',
    });

    const before = await status({ workspace: source, remote });
    expect(before).toMatchObject({
      modified: 0,
      missingInWorkspace: 0,
      missingInCache: 0,
      missingOnRemote: 5,
    });

    const pushed = await push({ workspace: source, remote });
    // january, february, foo, bar and the manifest: foo is stored once.
    expect(pushed).toMatchObject({ objects: 5, uploaded: 5, alreadyOnRemote: 0 });
    const manifest = `[{"md5": "${md5('foo')}", "relpath": "a.txt"}, {"md5": "${md5('bar')}", "relpath": "sub/b.txt"}, {"md5": "${md5('foo')}", "relpath": "sub/c.txt"}]`;
    expect(`${md5(manifest)}.dir`).toBe(images.md5);
    const key = (id: string) => `files/md5/${id.slice(0, 2)}/${id.slice(2)}`;
    expect(await filesUnder(remote)).toEqual(
      [md5('january bytes'), md5('february bytes'), md5('foo'), md5('bar'), images.md5].map(key).sort(),
    );
    expect(await readFile(join(remote, key(images.md5)), 'utf8')).toBe(manifest);
    expect((await push({ workspace: source, remote })).uploaded).toBe(0);
    expect((await status({ workspace: source, remote })).clean).toBe(true);

    await writeFile(join(target, 'data.lock'), await readFile(join(source, 'data.lock')));
    const cold = await pull({ workspace: target, remote, jobs: 4 });
    expect(cold).toMatchObject({ files: 5, fetched: 5, checkedOut: 5, upToDate: 0, cacheHit: false });
    for (const [path, content] of Object.entries(dataset)) {
      expect(await readFile(join(target, path), 'utf8')).toBe(content);
    }
    const warm = await pull({ workspace: target, remote });
    expect(warm).toMatchObject({ files: 5, fetched: 0, checkedOut: 0, upToDate: 5, cacheHit: true });
    expect(await filesUnder(join(target, '.mlship', 'tmp'))).toEqual([]);
  });

  it('reports modified and missing files, and refuses to overwrite unsaved changes', async () => {
    await writeFiles(source, dataset);
    await addPaths({ workspace: source, paths: ['data/flights', 'data/images'] });
    await push({ workspace: source, remote });
    await writeFile(join(source, 'data/images/sub/b.txt'), 'edited');
    await rm(join(source, 'data/flights'), { recursive: true });
    const report = await status({ workspace: source });
    expect(report.outs).toEqual([
      expect.objectContaining({ path: 'data/flights', workspace: 'missing', missingOnRemote: null }),
      expect.objectContaining({ path: 'data/images', workspace: 'modified', missingInCache: 0 }),
    ]);
    expect(report).toMatchObject({ modified: 1, missingInWorkspace: 1, clean: false });

    await expect(pull({ workspace: source, remote })).rejects.toThrow(
      /not saved in the cache: data\/images\/sub\/b\.txt/,
    );
    expect(await readFile(join(source, 'data/images/sub/b.txt'), 'utf8')).toBe('edited');
    const forced = await pull({ workspace: source, remote, force: true });
    expect(forced).toMatchObject({ checkedOut: 3, fetched: 0 });
    expect(await readFile(join(source, 'data/images/sub/b.txt'), 'utf8')).toBe('bar');
    expect((await status({ workspace: source, remote })).clean).toBe(true);
  });

  it('pulls from a remote laid out by hand exactly as DVC 3 writes it', async () => {
    // What `dvc push` leaves for a directory "data" holding foo and bar: two file objects and the
    // .dir manifest (Python json.dumps, sort_keys), under files/md5/<2>/<30>.
    const manifest =
      '[{"md5": "37b51d194a7513e45b56f6524f2d51f2", "relpath": "bar"}, {"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "foo"}]';
    await writeFiles(remote, {
      'files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8': 'foo',
      'files/md5/37/b51d194a7513e45b56f6524f2d51f2': 'bar',
      'files/md5/5e/a40360f5b4ec688df672a4db9c17d1.dir': manifest,
      'files/md5/d3/b07384d113edec49eaa6238ad5ff00': 'foobar',
    });
    // The outs of data.dvc and model.pkl.dvc, as DVC 3 writes them.
    await writeFile(
      join(target, 'data.lock'),
      [
        'schema: 1',
        'outs:',
        '- md5: 5ea40360f5b4ec688df672a4db9c17d1.dir',
        '  size: 6',
        '  nfiles: 2',
        '  hash: md5',
        '  path: data',
        '- md5: 3858f62230ac3c915f300c664312c63f',
        '  size: 6',
        '  hash: md5',
        '  path: model.pkl',
        '',
      ].join('\n'),
    );
    // model.pkl's object is missing from that remote: the error says so, in one line.
    await expect(pull({ workspace: target, remote })).rejects.toThrow(
      /files\/md5\/38\/58f62230ac3c915f300c664312c63f is not in the store/,
    );
    await writeFiles(remote, { 'files/md5/38/58f62230ac3c915f300c664312c63f': 'foobar' });
    const result = await pull({ workspace: target, remote });
    // The failed pull kept (and checked out) what it had verified; only model.pkl is left to do.
    expect(result).toMatchObject({ files: 3, fetched: 1, checkedOut: 1, upToDate: 2 });
    expect(await readFile(join(target, 'data/foo'), 'utf8')).toBe('foo');
    expect(await readFile(join(target, 'data/bar'), 'utf8')).toBe('bar');
    expect(await readFile(join(target, 'model.pkl'), 'utf8')).toBe('foobar');
    // Re-adding what was pulled reproduces DVC's ids.
    const again = await addPaths({ workspace: target, paths: ['data'] });
    expect(again.outs[0].md5).toBe('5ea40360f5b4ec688df672a4db9c17d1.dir');
  });

  it('refuses a corrupt object: names path and hash, keeps the workspace file, caches nothing bad', async () => {
    await writeFiles(source, { 'data/model.bin': 'version one' });
    await addPaths({ workspace: source, paths: ['data/model.bin'] });
    await push({ workspace: source, remote });
    await writeFile(join(target, 'data.lock'), await readFile(join(source, 'data.lock')));
    await pull({ workspace: target, remote });

    await writeFiles(source, { 'data/model.bin': 'version two' });
    await addPaths({ workspace: source, paths: ['data/model.bin'] });
    await push({ workspace: source, remote });
    const id = md5('version two');
    await writeFile(join(remote, 'files/md5', id.slice(0, 2), id.slice(2)), 'tampered bytes');
    await writeFile(join(target, 'data.lock'), await readFile(join(source, 'data.lock')));

    const error = await pull({ workspace: target, remote }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toContain('data/model.bin');
    expect((error as Error).message).toContain(id);
    expect((error as Error).message).toContain(md5('tampered bytes'));
    expect(await readFile(join(target, 'data/model.bin'), 'utf8')).toBe('version one');
    const cached = await filesUnder(join(target, '.mlship', 'cache'));
    expect(cached).toEqual([`files/md5/${md5('version one').slice(0, 2)}/${md5('version one').slice(2)}`]);
    expect(await filesUnder(join(target, '.mlship', 'tmp'))).toEqual([]);
  });

  it('refuses paths outside the workspace and untracked paths', async () => {
    await writeFiles(source, { 'a.txt': 'a' });
    await expect(addPaths({ workspace: source, paths: ['../x'] })).rejects.toThrow(/outside the workspace/);
    await expect(addPaths({ workspace: source, paths: ['missing.txt'] })).rejects.toThrow(
      /not a file or directory/,
    );
    await writeLock(join(source, 'data.lock'), {
      schema: 1,
      outs: [{ md5: md5('a'), size: 1, hash: 'md5', path: 'a.txt' }],
    });
    await writeFile(
      join(source, 'data.lock'),
      (await readFile(join(source, 'data.lock'), 'utf8')).replace('a.txt', '../../etc/x'),
    );
    await expect(pull({ workspace: source, remote })).rejects.toThrow(
      /data\.lock: outs\.0\.path: path "\.\.\/\.\.\/etc\/x" escapes/,
    );
    await expect(pull({ workspace: target, remote })).rejects.toThrow(/data lock not found/);
  });

  it('finishes a pull that was killed half-way, leaving no partial file', async () => {
    const big: Record<string, Uint8Array> = {};
    for (let i = 0; i < 24; i++)
      big[`data/blobs/${String(i).padStart(2, '0')}.bin`] = new Uint8Array(256 * 1024).fill(i);
    await writeFiles(source, big);
    await addPaths({ workspace: source, paths: ['data/blobs'] });
    await push({ workspace: source, remote });
    await writeFile(join(target, 'data.lock'), await readFile(join(source, 'data.lock')));

    // Kill -9 from inside the pull, once in the middle of fetching and once in the middle of checkout.
    for (const [phase, after] of [
      ['fetch', 5],
      ['checkout', 1],
    ] as const) {
      const child = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          join(import.meta.dirname, 'kill-mid-pull.child.ts'),
          target,
          remote,
          phase,
          String(after),
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(child.signal, child.stderr + child.stdout).toBe('SIGKILL');
      // Killed when 5 of 24 objects had arrived: at most their 5 files can be in place.
      if (phase === 'fetch')
        expect((await filesUnder(join(target, 'data/blobs'))).length).toBeLessThanOrEqual(5);
    }
    const result = await pull({ workspace: target, remote });
    expect(result.files).toBe(24);
    for (const [path, content] of Object.entries(big)) {
      expect(md5(await readFile(join(target, path)))).toBe(md5(content));
    }
    expect(await filesUnder(join(target, 'data/blobs'))).toEqual(
      Object.keys(big).map((p) => p.slice('data/blobs/'.length)),
    );
    expect(await filesUnder(join(target, '.mlship', 'tmp'))).toEqual([]);
    expect((await status({ workspace: target, remote })).clean).toBe(true);
  });
});
