import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Where an object lives under a cache or remote root (DVC 3): `files/md5/<2 hex>/<30 hex>[.dir]`. */
export function objectKey(id: string): string {
  return `files/md5/${id.slice(0, 2)}/${id.slice(2)}`;
}

/**
 * The local content-addressed cache, `.mlship/cache` by default. Objects enter it only through a
 * temp file that is renamed once its md5 is known to match, so the cache never holds a bad or
 * partial object. Checkouts copy out of it (never hard-link), so editing a workspace file cannot
 * corrupt the cache.
 */
export class Cache {
  readonly root: string;
  readonly tmp: TempDir;
  private readonly madeDirs = new Set<string>();

  constructor(root: string, tmp: TempDir) {
    this.root = root;
    this.tmp = tmp;
  }

  pathOf(id: string): string {
    return join(this.root, ...objectKey(id).split('/'));
  }

  /** Size of the object, or undefined when the cache lacks it. */
  async sizeOf(id: string): Promise<number | undefined> {
    try {
      const info = await stat(this.pathOf(id));
      return info.isFile() ? info.size : undefined;
    } catch {
      return undefined;
    }
  }

  async has(id: string): Promise<boolean> {
    return (await this.sizeOf(id)) !== undefined;
  }

  /** The ids the cache lacks, checked in parallel (thousands of stats add up one by one). */
  async missing(ids: string[]): Promise<Set<string>> {
    const absent = new Set<string>();
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.pop(); id !== undefined; id = queue.pop())
        if (!(await this.has(id))) absent.add(id);
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    return absent;
  }

  /** Moves a verified temp file into the cache under its id. */
  async adopt(tempPath: string, id: string): Promise<void> {
    const target = this.pathOf(id);
    await this.ensureDir(dirname(target));
    await moveFile(tempPath, target);
  }

  async putBytes(id: string, bytes: Uint8Array): Promise<void> {
    if (await this.has(id)) return;
    const temp = this.tmp.path();
    await writeFile(temp, bytes);
    await this.adopt(temp, id);
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }
}

/**
 * One folder for every temp file mlship writes (downloads being verified, checkouts being
 * written), named `<pid>-<random>`. A run killed half-way leaves its temps here and nowhere else;
 * the next run removes those whose process is gone.
 */
export class TempDir {
  readonly dir: string;
  private made = false;

  constructor(dir: string) {
    this.dir = dir;
  }

  path(): string {
    if (!this.made) throw new Error('TempDir.prepare() must run before path()');
    return join(this.dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  /** Creates the folder and removes temps left by runs that died. */
  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.made = true;
    for (const name of await readdir(this.dir)) {
      const pid = Number(name.split('-')[0]);
      if (!Number.isInteger(pid) || !isAlive(pid)) await rm(join(this.dir, name), { force: true });
    }
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** rename(2), falling back to copy + rename beside the target across file systems. */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    const beside = `${to}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
    try {
      await copyFile(from, beside, constants.COPYFILE_FICLONE);
      await rename(beside, to);
    } finally {
      await rm(beside, { force: true });
      await unlink(from).catch(() => {});
    }
  }
}
