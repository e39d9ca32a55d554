import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.ts';
import { LOCK_FIX } from './lock.ts';

/** sha256 of the lock's bytes: the CI cache key, so a changed lock restores a fresh cache. */
export async function lockDigest(lockPath: string): Promise<string> {
  try {
    return createHash('sha256')
      .update(await readFile(lockPath))
      .digest('hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError('data lock not found', { file: lockPath, fix: LOCK_FIX });
    }
    throw error;
  }
}
