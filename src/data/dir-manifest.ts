import { z } from 'zod';
import { UserError } from '../errors.ts';
import { md5Bytes } from './hash.ts';

/**
 * DVC's `.dir` manifest: the JSON list of a directory's files, `{"md5", "relpath"}` sorted by
 * relpath. Its md5 (plus `.dir`) is the directory's id, so the bytes must be exactly what DVC
 * writes: Python's `json.dumps(entries, sort_keys=True)`. JSON.stringify differs (no spaces after
 * separators, non-ASCII left as is), hence the hand-written serialiser below.
 */
export interface DirEntry {
  md5: string;
  relpath: string;
}

/** Python sorts str by code point; UTF-8 byte order is the same order (UTF-16 order is not). */
export function compareRelpaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A JSON string literal as Python's json.dumps writes it with the default ensure_ascii=True. */
export function pythonJsonString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const char = value[i];
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char === '\b') out += '\\b';
    else if (char === '\f') out += '\\f';
    // Python escapes everything outside printable ASCII (0x20..0x7e) as \uXXXX in lower case,
    // astral characters as their UTF-16 surrogate pair: exactly JavaScript's code units.
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

export function sortEntries(entries: DirEntry[]): DirEntry[] {
  return [...entries].sort((a, b) => compareRelpaths(a.relpath, b.relpath));
}

/** The manifest's bytes, entries sorted by relpath, as DVC writes them. */
export function serializeDirManifest(entries: DirEntry[]): string {
  const items = sortEntries(entries).map(
    (entry) => `{"md5": ${pythonJsonString(entry.md5)}, "relpath": ${pythonJsonString(entry.relpath)}}`,
  );
  return `[${items.join(', ')}]`;
}

/** The directory's object id: md5 of the manifest bytes plus `.dir`. */
export function dirId(entries: DirEntry[]): { id: string; bytes: Buffer } {
  const bytes = Buffer.from(serializeDirManifest(entries), 'utf8');
  return { id: `${md5Bytes(bytes)}.dir`, bytes };
}

const entrySchema = z.object({
  md5: z.string().regex(/^[0-9a-f]{32}$/, 'an md5 is 32 lower-case hex digits'),
  relpath: z.string().min(1),
});

/**
 * Reads a manifest written by mlship or DVC. Entries may carry more fields (DVC 2 wrote some);
 * only md5 and relpath matter. Relpaths that would escape the directory are refused.
 */
export function parseDirManifest(bytes: Uint8Array, source: string): DirEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new UserError('directory manifest is not valid JSON', {
      file: source,
      fix: 'the object is damaged: push it again from a good copy',
    });
  }
  const parsed = z.array(entrySchema).safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`directory manifest is malformed: ${issue.message}`, {
      file: source,
      field: issue.path.join('.') || '(root)',
      fix: 'the object is damaged: push it again from a good copy',
    });
  }
  return parsed.data.map(({ md5, relpath }) => {
    const parts = relpath.split('/');
    if (relpath.startsWith('/') || parts.some((part) => part === '..' || part === '' || part === '.')) {
      throw new UserError(`directory manifest entry "${relpath}" escapes its directory`, {
        file: source,
        fix: 'the manifest is unsafe: remove it from the remote and push a good copy',
      });
    }
    return { md5, relpath };
  });
}
