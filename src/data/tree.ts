import { readFile } from 'node:fs/promises';
import type { ObjectStore } from '../store/store.ts';
import { type DirEntry, parseDirManifest } from './dir-manifest.ts';
import { isDirId } from './hash.ts';
import type { LockOut } from './lock.ts';
import { downloadObject, runBounded } from './transfer.ts';
import type { Workspace } from './workspace.ts';

/** One file a lock entry stands for: the entry itself, or one file of a tracked directory. */
export interface TrackedFile {
  out: LockOut;
  /** Workspace-relative POSIX path. */
  relpath: string;
  md5: string;
  /** Known for single-file entries; manifests carry no sizes. */
  size?: number;
}

export interface ExpandedOut {
  out: LockOut;
  /** Undefined when the directory's manifest is neither in the cache nor fetchable. */
  files?: TrackedFile[];
}

/**
 * A directory's manifest, from the cache or (when a store is given) fetched into it and verified.
 * Undefined when it is in neither.
 */
export async function loadManifest(
  ws: Workspace,
  out: LockOut,
  store?: ObjectStore,
): Promise<DirEntry[] | undefined> {
  const path = ws.cache.pathOf(out.md5);
  if (!(await ws.cache.has(out.md5))) {
    if (!store) return undefined;
    await downloadObject(store, out.md5, ws.cache, out.path);
  }
  return parseDirManifest(await readFile(path), `${out.path} (manifest ${out.md5})`);
}

export async function expandOuts(
  ws: Workspace,
  outs: LockOut[],
  fetchFrom?: ObjectStore,
  tolerateMissing = false,
): Promise<ExpandedOut[]> {
  return runBounded(
    outs.map((out) => async (): Promise<ExpandedOut> => {
      if (!isDirId(out.md5)) {
        return { out, files: [{ out, relpath: out.path, md5: out.md5, size: out.size }] };
      }
      let entries: DirEntry[] | undefined;
      try {
        entries = await loadManifest(ws, out, fetchFrom);
      } catch (error) {
        if (!tolerateMissing) throw error;
      }
      return {
        out,
        files: entries?.map((entry) => ({ out, relpath: `${out.path}/${entry.relpath}`, md5: entry.md5 })),
      };
    }),
    ws.jobs,
  );
}
