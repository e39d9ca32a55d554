import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../errors.ts';
import { type DirEntry, dirId } from './dir-manifest.ts';
import { checkTrackedPath, type LockOut, upsertOuts, writeLock } from './lock.ts';
import { runBounded } from './transfer.ts';
import { listFiles } from './walk.ts';
import {
  loadLock,
  openWorkspace,
  type Workspace,
  type WorkspaceOptions,
  workspacePath,
} from './workspace.ts';

export interface AddOptions extends WorkspaceOptions {
  /** Files or directories, relative to the workspace (or absolute, inside it). */
  paths: string[];
}

export interface AddedOut {
  path: string;
  md5: string;
  size: number;
  nfiles?: number;
  /** Objects this add put into the cache (0 when all were there already). */
  stored: number;
}

export interface AddResult {
  lockPath: string;
  outs: AddedOut[];
  files: number;
  bytes: number;
  stored: number;
}

/** Hashes files and directories, stores their objects in the cache and records them in data.lock. */
export async function addPaths(options: AddOptions): Promise<AddResult> {
  if (options.paths.length === 0) {
    throw new UserError('nothing to add', { fix: 'name at least one file or directory' });
  }
  const ws = await openWorkspace(options);
  const lock = await loadLock(ws, true);
  const rels = options.paths.map((path) => toTrackedPath(ws, path));
  const counter = { done: 0, total: 0, bytes: 0 };
  const outs: LockOut[] = [];
  const added: AddedOut[] = [];
  let files = 0;
  for (const rel of rels) {
    const abs = workspacePath(ws, rel);
    const info = await stat(abs).catch(() => undefined);
    if (!info || (!info.isFile() && !info.isDirectory())) {
      throw new UserError(`"${rel}" is not a file or directory`, { fix: 'check the path (it must exist)' });
    }
    if (info.isFile()) {
      counter.total++;
      const { md5, size, stored } = await storeFile(ws, rel, counter);
      outs.push({ md5, size, hash: 'md5', path: rel });
      added.push({ path: rel, md5, size, stored: stored ? 1 : 0 });
      files++;
      continue;
    }
    const relpaths = await listFiles(abs);
    counter.total += relpaths.length;
    const stored = await runBounded(
      relpaths.map((relpath) => () => storeFile(ws, `${rel}/${relpath}`, counter)),
      Math.min(ws.jobs, 8),
    );
    const entries: DirEntry[] = relpaths.map((relpath, i) => ({ md5: stored[i].md5, relpath }));
    const { id, bytes } = dirId(entries);
    const hadManifest = await ws.cache.has(id);
    await ws.cache.putBytes(id, bytes);
    const size = stored.reduce((sum, file) => sum + file.size, 0);
    outs.push({ md5: id, size, nfiles: entries.length, hash: 'md5', path: rel });
    added.push({
      path: rel,
      md5: id,
      size,
      nfiles: entries.length,
      stored: stored.filter((file) => file.stored).length + (hadManifest ? 0 : 1),
    });
    files += entries.length;
  }
  await writeLock(ws.lockPath, upsertOuts(lock, outs, ws.lockName));
  await ws.state.save();
  return {
    lockPath: ws.lockPath,
    outs: added,
    files,
    bytes: added.reduce((sum, out) => sum + out.size, 0),
    stored: added.reduce((sum, out) => sum + out.stored, 0),
  };
}

function toTrackedPath(ws: Workspace, path: string): string {
  const abs = resolve(ws.root, path);
  const rel = relative(ws.root, abs);
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) {
    throw new UserError(`"${path}" is outside the workspace ${ws.root}`, {
      fix: 'track files inside the repository (copy them in first)',
    });
  }
  return checkTrackedPath(rel.split(sep).join('/'), path, 'path');
}

/**
 * Puts one workspace file into the cache. When the state already knows its md5 and the cache has
 * it, nothing is read; otherwise the file is copied to a temp file while hashed (one read), and the
 * temp is renamed into the cache under the md5 it turned out to have.
 */
async function storeFile(
  ws: Workspace,
  rel: string,
  counter: { done: number; total: number; bytes: number },
): Promise<{ md5: string; size: number; stored: boolean }> {
  const abs = workspacePath(ws, rel);
  const before = await stat(abs);
  const known = await ws.state.known(abs, rel);
  let result: { md5: string; size: number; stored: boolean };
  if (known && (await ws.cache.has(known.md5))) {
    result = { ...known, stored: false };
  } else {
    const temp = ws.tmp.path();
    const hash = createHash('md5');
    let size = 0;
    try {
      await pipeline(
        createReadStream(abs, { highWaterMark: 1 << 20 }),
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(temp),
      );
      const md5 = hash.digest('hex');
      const stored = !(await ws.cache.has(md5));
      if (stored) await ws.cache.adopt(temp, md5);
      else await rm(temp, { force: true });
      const after = await stat(abs);
      if (after.mtimeMs === before.mtimeMs && after.size === size) await ws.state.remember(abs, rel, md5);
      result = { md5, size, stored };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
  counter.done++;
  counter.bytes += result.size;
  ws.progress({ phase: 'hash', ...counter });
  return result;
}
