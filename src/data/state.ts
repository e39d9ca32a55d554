import type { BigIntStats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../util/fs.ts';
import { md5File } from './hash.ts';

/**
 * What DVC calls its state database: for each workspace file, the md5 last computed and the stat
 * fingerprint (size, mtime in ns, inode) it was computed for. While the fingerprint holds, the file
 * is not read again, which is what makes a no-op `pull` or `status` over thousands of files cheap.
 * Losing this file costs only time, so a damaged one is ignored rather than reported.
 */
const entrySchema = z.object({ size: z.number(), mtime: z.string(), ino: z.string(), md5: z.string() });
const stateSchema = z.object({ schema: z.literal(1), files: z.record(z.string(), entrySchema) });
type Entry = z.infer<typeof entrySchema>;

export class HashState {
  private readonly file: string;
  private readonly files: Record<string, Entry>;
  private dirty = false;

  private constructor(file: string, files: Record<string, Entry>) {
    this.file = file;
    this.files = files;
  }

  static async load(file: string): Promise<HashState> {
    try {
      const parsed = stateSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (parsed.success) return new HashState(file, parsed.data.files);
    } catch {
      // Missing or unreadable: start empty.
    }
    return new HashState(file, {});
  }

  /** The md5 of a workspace file, or undefined when it does not exist (or is not a file). */
  async md5Of(absPath: string, key: string): Promise<{ md5: string; size: number } | undefined> {
    let before: BigIntStats;
    try {
      before = await stat(absPath, { bigint: true });
    } catch {
      return undefined;
    }
    if (!before.isFile()) return undefined;
    const known = this.files[key];
    if (known && matches(known, before)) return { md5: known.md5, size: known.size };
    const { md5, size } = await md5File(absPath);
    // Only remember the hash if the file did not change while it was read.
    const after = await stat(absPath, { bigint: true });
    if (fingerprint(after) === fingerprint(before)) this.record(key, after, md5);
    return { md5, size };
  }

  /** The remembered md5 if the file is unchanged since it was hashed; never reads the file. */
  async known(absPath: string, key: string): Promise<{ md5: string; size: number } | undefined> {
    const entry = this.files[key];
    if (!entry) return undefined;
    try {
      const info = await stat(absPath, { bigint: true });
      return info.isFile() && matches(entry, info) ? { md5: entry.md5, size: entry.size } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records the md5 of a file mlship has just written. */
  async remember(absPath: string, key: string, md5: string): Promise<void> {
    this.record(key, await stat(absPath, { bigint: true }), md5);
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    await writeFileAtomic(this.file, JSON.stringify({ schema: 1, files: this.files }));
    this.dirty = false;
  }

  private record(key: string, info: BigIntStats, md5: string): void {
    this.files[key] = { size: Number(info.size), mtime: String(info.mtimeNs), ino: String(info.ino), md5 };
    this.dirty = true;
  }
}

function fingerprint(info: BigIntStats): string {
  return `${info.size}:${info.mtimeNs}:${info.ino}`;
}

function matches(entry: Entry, info: BigIntStats): boolean {
  return (
    entry.size === Number(info.size) && entry.mtime === String(info.mtimeNs) && entry.ino === String(info.ino)
  );
}
