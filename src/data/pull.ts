import { constants } from 'node:fs';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '../errors.ts';
import { moveFile } from './cache.ts';
import { isDirId } from './hash.ts';
import { selectOuts } from './select.ts';
import { downloadObject, runBounded } from './transfer.ts';
import { expandOuts, type TrackedFile } from './tree.ts';
import {
  loadLock,
  openWorkspace,
  type RemoteOption,
  toStore,
  type Workspace,
  type WorkspaceOptions,
  workspacePath,
} from './workspace.ts';

export interface PullOptions extends WorkspaceOptions {
  remote: RemoteOption;
  /** Only these tracked paths (or paths under them); default all of data.lock. */
  paths?: string[];
  /** Overwrite workspace files that differ from the lock even when the cache has no copy of them. */
  force?: boolean;
}

export interface PullResult {
  remote: string;
  /** Tracked files the pull covered, and their total size. */
  files: number;
  bytes: number;
  /** Objects downloaded from the remote (files and directory manifests), and their bytes. */
  fetched: number;
  fetchedBytes: number;
  /** Workspace files written, and files that were already right. */
  checkedOut: number;
  upToDate: number;
  /** True when the remote was not needed: everything came from the cache or was in place. */
  cacheHit: boolean;
}

/** Fetches what the cache lacks (in parallel, each object verified), then checks files out. */
export async function pull(options: PullOptions): Promise<PullResult> {
  const ws = await openWorkspace(options);
  const outs = selectOuts(await loadLock(ws), ws.lockName, options.paths);
  const store = toStore(options.remote, ws.root);

  const missingManifests: string[] = [];
  for (const out of outs)
    if (isDirId(out.md5) && !(await ws.cache.has(out.md5))) missingManifests.push(out.md5);
  const expanded = await expandOuts(ws, outs, store);
  let fetched = new Set(missingManifests).size;
  let fetchedBytes = 0;
  for (const id of new Set(missingManifests)) fetchedBytes += (await ws.cache.sizeOf(id)) ?? 0;
  const files = expanded.flatMap((entry) => entry.files ?? []);

  const stale = await findStale(ws, files, options.force ?? false);

  // Each object is checked out as soon as it is verified, so writing the workspace overlaps the
  // downloads. A corrupt object stops the pull before its own files are touched.
  const byId = new Map<string, TrackedFile[]>();
  for (const file of stale) byId.set(file.md5, [...(byId.get(file.md5) ?? []), file]);
  const absent = await ws.cache.missing([...byId.keys()]);
  const fetch = { done: 0, total: absent.size, bytes: 0 };
  const writer = checkoutWriter(ws, stale.length);
  await runBounded(
    [
      ...[...absent].map((id) => async () => {
        const { size, bytes } = await downloadObject(store, id, ws.cache, byId.get(id)![0].relpath);
        fetch.done++;
        fetch.bytes += size;
        ws.progress({ phase: 'fetch', ...fetch });
        for (const file of byId.get(id)!) await writer(file, bytes);
      }),
      ...[...byId]
        .filter(([id]) => !absent.has(id))
        .map(([, files]) => async () => {
          for (const file of files) await writer(file);
        }),
    ],
    ws.jobs,
  );
  fetched += absent.size;
  fetchedBytes += fetch.bytes;

  await ws.state.save();
  return {
    remote: store.url,
    files: files.length,
    bytes: outs.reduce((sum, out) => sum + out.size, 0),
    fetched,
    fetchedBytes,
    checkedOut: stale.length,
    upToDate: files.length - stale.length,
    cacheHit: fetched === 0,
  };
}

/**
 * Files whose workspace copy is missing or differs from the lock. A differing file is replaced
 * only if the cache holds its current content (it was added or pulled before, so nothing is lost)
 * or with `force`; otherwise the pull stops before touching anything.
 */
async function findStale(ws: Workspace, files: TrackedFile[], force: boolean): Promise<TrackedFile[]> {
  const progress = { done: 0, total: files.length, bytes: 0 };
  const unsaved: string[] = [];
  const verdicts = await runBounded(
    files.map((file) => async () => {
      const current = await ws.state.md5Of(workspacePath(ws, file.relpath), file.relpath);
      progress.done++;
      if (progress.done % 500 === 0 || progress.done === files.length)
        ws.progress({ phase: 'check', ...progress });
      if (current?.md5 === file.md5) return false;
      if (current && !force && !(await ws.cache.has(current.md5))) unsaved.push(file.relpath);
      return true;
    }),
    16,
  );
  if (unsaved.length > 0) {
    throw new UserError(
      `${unsaved.length} workspace file(s) differ from ${ws.lockName} and are not saved in the cache: ${unsaved.slice(0, 3).join(', ')}${unsaved.length > 3 ? ', ...' : ''}`,
      { fix: 'mlship data add them to keep the changes, or pull with --force to discard them' },
    );
  }
  return files.filter((_, i) => verdicts[i]);
}

/** Writes files from the cache, each through a temp file and a rename: never half a file. */
function checkoutWriter(ws: Workspace, total: number): (file: TrackedFile, bytes?: Buffer) => Promise<void> {
  const progress = { done: 0, total, bytes: 0 };
  const made = new Set<string>();
  return async (file, bytes) => {
    const target = workspacePath(ws, file.relpath);
    const parent = dirname(target);
    if (!made.has(parent)) {
      await mkdir(parent, { recursive: true });
      made.add(parent);
    }
    const temp = ws.tmp.path();
    try {
      // A copy (a reflink where the file system can), never a hard link: editing the workspace
      // file must not change the cached object. Small objects just downloaded are still in memory.
      if (bytes) await writeFile(temp, bytes);
      else await copyFile(ws.cache.pathOf(file.md5), temp, constants.COPYFILE_FICLONE);
      await moveFile(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await ws.state.remember(target, file.relpath, file.md5);
    progress.done++;
    ws.progress({ phase: 'checkout', ...progress });
  };
}
