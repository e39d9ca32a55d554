import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../util/fs.ts';
import type { ObjectStore, StoreObjectInfo } from './store.ts';

/** A directory as a store: the embedded default remote, and what DVC calls a local remote. */
export class LocalStore implements ObjectStore {
  readonly url: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.url = this.root;
  }

  private pathOf(key: string): string {
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep)) {
      throw new UserError(`store key "${key}" escapes the store`, { fix: 'use a relative key without ..' });
    }
    return path;
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      throw this.notFound(error, key);
    }
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    await writeFileAtomic(this.pathOf(key), body);
  }

  async putFile(key: string, path: string): Promise<void> {
    await this.copy(path, this.pathOf(key));
  }

  async getFile(key: string, path: string): Promise<void> {
    try {
      await this.copy(this.pathOf(key), path);
    } catch (error) {
      throw this.notFound(error, key);
    }
  }

  async getStream(key: string): Promise<{ body: Readable; size?: number }> {
    // Open first, so a missing object fails here with a clear error rather than mid-stream.
    let handle: import('node:fs/promises').FileHandle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (error) {
      throw this.notFound(error, key);
    }
    const { size } = await handle.stat();
    return { body: handle.createReadStream({ highWaterMark: 1 << 20 }), size };
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch {
      return false;
    }
  }

  async list(prefix: string): Promise<StoreObjectInfo[]> {
    const out: StoreObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile() && !entry.name.endsWith('.tmp')) {
          const key = relative(this.root, full).split(sep).join('/');
          if (key.startsWith(prefix)) out.push({ key, size: (await stat(full)).size });
        }
      }
    };
    // Walk only the deepest directory the prefix names, not the whole store.
    const slash = prefix.lastIndexOf('/');
    await walk(slash >= 0 ? join(this.root, prefix.slice(0, slash)) : this.root);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async copy(from: string, to: string): Promise<void> {
    await mkdir(dirname(to), { recursive: true });
    const temp = `${to}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await pipeline(createReadStream(from), createWriteStream(temp));
      await rename(temp, to);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  private notFound(error: unknown, key: string): unknown {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return new UserError(`object ${key} is not in the store ${this.url}`, {
        fix: 'push it first (mlship data push), or check the remote in mlship.yaml',
      });
    }
    return error;
  }
}
