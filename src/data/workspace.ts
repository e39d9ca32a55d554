import { availableParallelism } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { openStore } from '../store/open-store.ts';
import type { ObjectStore } from '../store/store.ts';
import { Cache, TempDir } from './cache.ts';
import { type DataLock, readLock } from './lock.ts';
import { HashState } from './state.ts';

/** What every data step reports while it works; the CLI renders it, the action ignores it. */
export interface DataProgress {
  phase: 'hash' | 'check' | 'fetch' | 'checkout' | 'upload';
  done: number;
  total: number;
  bytes: number;
}

export interface WorkspaceOptions {
  /** The repository root: tracked paths are relative to it. */
  workspace: string;
  /** Defaults to `<workspace>/data.lock`. */
  lockPath?: string;
  /** Defaults to `<workspace>/.mlship/cache`. */
  cacheDir?: string;
  /** Parallel transfers (and file hashing); defaults to defaultJobs(). */
  jobs?: number;
  onProgress?: (progress: DataProgress) => void;
}

/** Enough parallel requests to hide latency, as DVC does (4 per core), never fewer than 16. */
export function defaultJobs(): number {
  return Math.max(16, 4 * availableParallelism());
}

export interface Workspace {
  root: string;
  lockPath: string;
  /** The lock's path as shown in messages (relative to the workspace when inside it). */
  lockName: string;
  cache: Cache;
  tmp: TempDir;
  state: HashState;
  jobs: number;
  progress: (progress: DataProgress) => void;
}

export async function openWorkspace(options: WorkspaceOptions): Promise<Workspace> {
  const root = resolve(options.workspace);
  const lockPath = resolve(root, options.lockPath ?? 'data.lock');
  const own = join(root, '.mlship');
  const tmp = new TempDir(join(own, 'tmp'));
  await tmp.prepare();
  const rel = relative(root, lockPath);
  return {
    root,
    lockPath,
    lockName: rel.startsWith('..') ? lockPath : rel.split(sep).join('/'),
    cache: new Cache(resolve(root, options.cacheDir ?? join('.mlship', 'cache')), tmp),
    tmp,
    state: await HashState.load(join(own, 'state.json')),
    jobs: Math.max(1, Math.floor(options.jobs ?? defaultJobs())),
    progress: options.onProgress ?? (() => {}),
  };
}

export async function loadLock(ws: Workspace, missingOk = false): Promise<DataLock> {
  return readLock(ws.lockPath, { missingOk });
}

export function workspacePath(ws: Workspace, relpath: string): string {
  return join(ws.root, ...relpath.split('/'));
}

/** A remote given as a URL (s3://bucket/prefix, or a directory relative to the workspace) or a store. */
export type RemoteOption = string | ObjectStore;

export function toStore(remote: RemoteOption, workspace: string): ObjectStore {
  return typeof remote === 'string' ? openStore(remote, resolve(workspace)) : remote;
}
