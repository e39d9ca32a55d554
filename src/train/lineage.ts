import { relative, resolve, sep } from 'node:path';
import { simpleGit } from 'simple-git';
import { md5File } from '../data/hash.ts';
import { readLock } from '../data/lock.ts';

/**
 * Where a run's data and code came from. Data: for every path the run read, the md5 data.lock
 * records for it (or for the tracked directory holding it, keyed by that directory); a path that is
 * not tracked gets the md5 of its bytes, so the record still pins the exact data. Code: the git
 * commit and whether the work tree had uncommitted changes.
 */
export async function dataLineage(
  root: string,
  paths: string[],
  onProgress?: (message: string) => void,
): Promise<Record<string, string>> {
  let outs: Array<{ path: string; md5: string }> = [];
  try {
    outs = (await readLock(resolve(root, 'data.lock'), { missingOk: true })).outs;
  } catch (error) {
    // A broken lock must not stop training; the lineage falls back to hashing the files.
    onProgress?.(`warning: data.lock not used for lineage: ${(error as Error).message}`);
  }
  const lineage: Record<string, string> = {};
  for (const path of paths) {
    const rel = relative(root, resolve(root, path)).split(sep).join('/');
    const out = outs.find((o) => rel === o.path || rel.startsWith(`${o.path}/`));
    if (out) lineage[out.path] = out.md5;
    else lineage[rel] = (await md5File(resolve(root, path))).md5;
  }
  return lineage;
}

export async function gitState(root: string): Promise<{ commit: string | null; dirty: boolean }> {
  try {
    const git = simpleGit(root);
    if (!(await git.checkIsRepo())) return { commit: null, dirty: false };
    const commit = (await git.revparse(['HEAD'])).trim();
    const status = await git.status();
    return { commit, dirty: !status.isClean() };
  } catch {
    // No git, or a repository without commits yet.
    return { commit: null, dirty: false };
  }
}
