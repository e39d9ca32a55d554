import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { compareRelpaths } from './dir-manifest.ts';

/**
 * Every regular file under a directory, as POSIX relpaths sorted the way the manifest sorts them.
 * Symbolic links and special files are skipped: DVC would follow links, but a link out of the
 * workspace is not data this repository owns.
 */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(join(dir, entry.name), rel);
        else if (entry.isFile()) out.push(rel);
      }),
    );
  };
  await walk(root, '');
  return out.sort(compareRelpaths);
}
