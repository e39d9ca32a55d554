import { posix } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { parseYaml, readTextFile, toYaml, writeFileAtomic } from '../util/fs.ts';
import { validate } from '../util/validate.ts';
import { OBJECT_ID } from './hash.ts';

/**
 * `data.lock`: the tracked outputs, one entry per file or directory, with DVC's `.dvc` field names
 * and order (`md5`, `size`, `nfiles`, `hash: md5`, `path`), so an entry can be pasted into a
 * `.dvc` file and the reverse.
 */
const outSchema = z.strictObject({
  md5: z.string().regex(OBJECT_ID, 'an md5 is 32 lower-case hex digits, with ".dir" for a directory'),
  size: z.number().int().nonnegative(),
  nfiles: z.number().int().nonnegative().optional(),
  hash: z.literal('md5'),
  path: z.string().min(1),
});

const lockSchema = z.strictObject({
  schema: z.literal(1),
  outs: z.array(outSchema).default([]),
});

export type LockOut = z.infer<typeof outSchema>;
export interface DataLock {
  schema: 1;
  outs: LockOut[];
}

export const LOCK_FIX = 'run mlship data add <path> to create or update data.lock';

/**
 * A tracked path as stored in the lock: relative, POSIX separators, inside the workspace and not
 * inside mlship's or git's own folders. Anything else is refused, so a lock from an untrusted pull
 * request can never make a checkout write outside the repository.
 */
export function checkTrackedPath(path: string, file: string, field: string): string {
  const refuse = (why: string): never => {
    throw new UserError(`path "${path}" ${why}`, {
      file,
      field,
      fix: 'track paths relative to the workspace root, inside it (no "..", not absolute)',
    });
  };
  if (path.includes('\\')) refuse('uses backslashes');
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) refuse('is absolute');
  const normal = posix.normalize(path).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) refuse('escapes the workspace');
  if (normal === '.' || normal === '') refuse('is the workspace itself');
  const top = normal.split('/')[0];
  if (top === '.mlship' || top === '.git') refuse(`is inside ${top}/, which mlship manages`);
  return normal;
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** Validates a parsed lock: schema, safe paths, and no path tracked twice or inside another. */
export function parseLock(data: unknown, file: string): DataLock {
  const lock = validate(lockSchema, data, file);
  lock.outs.forEach((out, index) => {
    const path = checkTrackedPath(out.path, file, `outs.${index}.path`);
    const clash = lock.outs.findIndex((other, j) => j < index && overlaps(other.path, path));
    if (clash >= 0) {
      throw new UserError(`path "${out.path}" overlaps "${lock.outs[clash].path}"`, {
        file,
        field: `outs.${index}.path`,
        fix: 'track each file once: either the directory or the files inside it',
      });
    }
    if (out.nfiles !== undefined && !out.md5.endsWith('.dir')) {
      throw new UserError('nfiles is only for directories (md5 ending in .dir)', {
        file,
        field: `outs.${index}.nfiles`,
        fix: 'remove nfiles, or run mlship data add on the path again',
      });
    }
    out.path = path;
  });
  return lock;
}

export async function readLock(file: string, options: { missingOk?: boolean } = {}): Promise<DataLock> {
  let text: string;
  try {
    text = await readTextFile(file, 'data lock', LOCK_FIX);
  } catch (error) {
    if (options.missingOk && error instanceof UserError) return { schema: 1, outs: [] };
    throw error;
  }
  return parseLock(parseYaml(text, file) ?? {}, file);
}

/** Writes the lock with every entry's keys in DVC's order. */
export async function writeLock(file: string, lock: DataLock): Promise<void> {
  const outs = lock.outs.map((out) => ({
    md5: out.md5,
    size: out.size,
    ...(out.nfiles !== undefined ? { nfiles: out.nfiles } : {}),
    hash: 'md5' as const,
    path: out.path,
  }));
  await writeFileAtomic(file, toYaml({ schema: 1, outs }));
}

/**
 * Adds or replaces entries. A directory replaces the entries of files inside it; a file inside an
 * already tracked directory is refused (it would silently untrack the rest of the directory).
 */
export function upsertOuts(lock: DataLock, outs: LockOut[], file: string): DataLock {
  let kept = lock.outs;
  for (const out of outs) {
    const parent = kept.find((existing) => out.path.startsWith(`${existing.path}/`));
    if (parent) {
      throw new UserError(`"${out.path}" is inside the tracked directory "${parent.path}"`, {
        file,
        fix: `add the directory again (mlship data add ${parent.path}) to record changes inside it`,
      });
    }
    kept = kept.filter((existing) => !overlaps(existing.path, out.path));
  }
  const merged = [...kept, ...outs];
  // Keep the order stable and readable in diffs: sorted by path.
  merged.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { schema: 1, outs: merged };
}
