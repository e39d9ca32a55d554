import { stat } from 'node:fs/promises';
import { dirId } from './dir-manifest.ts';
import { isDirId } from './hash.ts';
import type { LockOut } from './lock.ts';
import { selectOuts } from './select.ts';
import { remoteHas, runBounded } from './transfer.ts';
import { expandOuts } from './tree.ts';
import { listFiles } from './walk.ts';
import {
  loadLock,
  openWorkspace,
  type RemoteOption,
  toStore,
  type Workspace,
  type WorkspaceOptions,
  workspacePath,
} from './workspace.ts';

export interface StatusOptions extends WorkspaceOptions {
  /** Also check which objects the remote lacks; omit to look only at the workspace and cache. */
  remote?: RemoteOption;
  paths?: string[];
}

export interface OutStatus {
  path: string;
  md5: string;
  /** The workspace copy: as locked, different, or absent. */
  workspace: 'ok' | 'modified' | 'missing';
  /** Objects of this entry (files and manifest) absent from the local cache. */
  missingInCache: number;
  /** Objects absent from the remote; null when no remote was checked. */
  missingOnRemote: number | null;
}

export interface StatusResult {
  remote: string | null;
  outs: OutStatus[];
  modified: number;
  missingInWorkspace: number;
  missingInCache: number;
  missingOnRemote: number | null;
  /** Nothing modified or missing anywhere that was checked. */
  clean: boolean;
}

/** Compares data.lock with the workspace, the local cache and (optionally) the remote. */
export async function status(options: StatusOptions): Promise<StatusResult> {
  const ws = await openWorkspace(options);
  const outs = selectOuts(await loadLock(ws), ws.lockName, options.paths);
  const store = options.remote === undefined ? undefined : toStore(options.remote, ws.root);

  // Manifests missing from the cache are read from the remote when there is one (and cached,
  // verified); without either, the entry's files are unknown and only the manifest counts.
  const expanded = await expandOuts(ws, outs, store, true);
  const workspace = await runBounded(
    outs.map((out) => () => workspaceState(ws, out)),
    4,
  );
  const idsOf = expanded.map((entry) => {
    const ids = new Set((entry.files ?? []).map((file) => file.md5));
    if (isDirId(entry.out.md5)) ids.add(entry.out.md5);
    return [...ids];
  });
  const all = [...new Set(idsOf.flat())];
  const notCached = await ws.cache.missing(all);
  const inCache = new Set(all.filter((id) => !notCached.has(id)));
  ws.progress({ phase: 'check', done: 0, total: all.length, bytes: 0 });
  const onRemote = store ? await remoteHas(store, all, ws.jobs) : undefined;
  await ws.state.save();

  const result: OutStatus[] = outs.map((out, i) => ({
    path: out.path,
    md5: out.md5,
    workspace: workspace[i],
    missingInCache: idsOf[i].filter((id) => !inCache.has(id)).length,
    missingOnRemote: onRemote ? idsOf[i].filter((id) => !onRemote.has(id)).length : null,
  }));
  const missingInCache = all.filter((id) => !inCache.has(id)).length;
  const missingOnRemote = onRemote ? all.filter((id) => !onRemote.has(id)).length : null;
  const modified = result.filter((out) => out.workspace === 'modified').length;
  const missingInWorkspace = result.filter((out) => out.workspace === 'missing').length;
  return {
    remote: store?.url ?? null,
    outs: result,
    modified,
    missingInWorkspace,
    missingInCache,
    missingOnRemote,
    clean: modified + missingInWorkspace + missingInCache + (missingOnRemote ?? 0) === 0,
  };
}

async function workspaceState(ws: Workspace, out: LockOut): Promise<OutStatus['workspace']> {
  const abs = workspacePath(ws, out.path);
  const info = await stat(abs).catch(() => undefined);
  if (!info) return 'missing';
  if (!isDirId(out.md5)) {
    const current = await ws.state.md5Of(abs, out.path);
    return current?.md5 === out.md5 ? 'ok' : 'modified';
  }
  if (!info.isDirectory()) return 'modified';
  const relpaths = await listFiles(abs);
  const hashes = await runBounded(
    relpaths.map(
      (relpath) => () =>
        ws.state.md5Of(workspacePath(ws, `${out.path}/${relpath}`), `${out.path}/${relpath}`),
    ),
    8,
  );
  const { id } = dirId(relpaths.map((relpath, i) => ({ relpath, md5: hashes[i]!.md5 })));
  return id === out.md5 ? 'ok' : 'modified';
}
