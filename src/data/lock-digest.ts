import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** sha256 of the lock's bytes: the CI cache key, so a changed lock restores a fresh cache. */
export async function lockDigest(lockPath: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(lockPath))
    .digest('hex');
}
