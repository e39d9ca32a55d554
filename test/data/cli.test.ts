import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeAll, tempDir, writeFiles } from './helpers.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'mlship.js');
const mlship = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [bin, 'data', ...args], { cwd, encoding: 'utf8', timeout: 60_000 });

let source: string;
let target: string;
beforeEach(async () => {
  source = await tempDir('cli-src');
  target = await tempDir('cli-dst');
});
afterEach(async () => removeAll(source, target));

describe('mlship data (CLI)', () => {
  it('adds, pushes to the default remote, pulls with --remote and --jobs; JSON on stdout, progress on stderr', async () => {
    await writeFiles(source, { 'data/d/a.txt': 'alpha', 'data/d/b.txt': 'beta' });
    const add = mlship(source, 'add', 'data/d', '--json');
    expect(add.status, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ files: 2, bytes: 9, stored: 3 });
    expect(add.stderr).toContain('hash: 2/2');

    // No mlship.yaml here: the embedded default remote .mlship/remote is used.
    const pushed = mlship(source, 'push');
    expect(pushed.status, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(
      /^pushed 3 object\(s\), .* to .*\.mlship\/remote; 0 of 3 were there already\n$/,
    );

    await writeFile(join(target, 'data.lock'), await readFile(join(source, 'data.lock')));
    const pulled = mlship(
      target,
      'pull',
      '--remote',
      join(source, '.mlship', 'remote'),
      '--jobs',
      '2',
      '--json',
    );
    expect(pulled.status, pulled.stderr).toBe(0);
    expect(JSON.parse(pulled.stdout)).toMatchObject({ files: 2, fetched: 3, checkedOut: 2, cacheHit: false });
    expect(await readFile(join(target, 'data/d/b.txt'), 'utf8')).toBe('beta');
  }, 180_000);
});
