import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, stat, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import { UserError } from '../errors.ts';
import type { ObjectStore } from '../store/store.ts';
import { type Cache, objectKey } from './cache.ts';

/** Objects up to this size are downloaded into memory and checked out from there. */
const IN_MEMORY = 1 << 20;

export interface Downloaded {
  size: number;
  /** The verified bytes, for objects small enough to keep (saves reading them back to check out). */
  bytes?: Buffer;
}

/**
 * Downloads one object into the cache: hashed as it arrives, written to a temp file, renamed into
 * the cache only if the md5 matches. A mismatch leaves nothing behind and names the tracked path.
 */
export async function downloadObject(
  store: ObjectStore,
  id: string,
  cache: Cache,
  where: string,
): Promise<Downloaded> {
  const temp = cache.tmp.path();
  const hash = createHash('md5');
  let size = 0;
  const verify = () => {
    const actual = hash.digest('hex');
    if (actual !== id.replace(/\.dir$/, '')) {
      throw new UserError(`object ${id} in ${store.url} is corrupt: its bytes hash to ${actual}`, {
        file: where,
        fix: 'push a good copy again (mlship data push from a workspace that has it), or delete the object from the remote',
      });
    }
  };
  try {
    const { body, size: announced } = await store.getStream(objectKey(id));
    if (announced !== undefined && announced <= IN_MEMORY) {
      // Small objects skip the stream machinery: with thousands of them it is most of the cost.
      const chunks: Buffer[] = [];
      for await (const chunk of body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        chunks.push(chunk);
      }
      const bytes = Buffer.concat(chunks);
      verify();
      await writeFile(temp, bytes);
      await cache.adopt(temp, id);
      return { size: bytes.length, bytes };
    }
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(temp),
    );
    verify();
    await cache.adopt(temp, id);
    return { size };
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function uploadObject(store: ObjectStore, id: string, cache: Cache): Promise<number> {
  const path = cache.pathOf(id);
  const { size } = await stat(path);
  await store.putFile(objectKey(id), path);
  return size;
}

/** Below this many objects one existence check each is cheaper than listing the remote. */
const HEAD_LIMIT = 32;

/**
 * Which of `ids` the remote already has. Few ids: one existence check each, in parallel. Many:
 * list only the `files/md5/<xx>/` prefixes they fall in, in parallel, as DVC does for big pushes.
 */
export async function remoteHas(store: ObjectStore, ids: string[], jobs: number): Promise<Set<string>> {
  const limit = pLimit(jobs);
  const present = new Set<string>();
  if (ids.length <= HEAD_LIMIT) {
    await Promise.all(
      ids.map((id) =>
        limit(async () => {
          if (await store.exists(objectKey(id))) present.add(id);
        }),
      ),
    );
    return present;
  }
  const wanted = new Set(ids);
  const prefixes = [...new Set(ids.map((id) => id.slice(0, 2)))];
  await Promise.all(
    prefixes.map((prefix) =>
      limit(async () => {
        for (const { key } of await store.list(`files/md5/${prefix}/`)) {
          const id = prefix + key.slice(`files/md5/${prefix}/`.length);
          if (wanted.has(id)) present.add(id);
        }
      }),
    ),
  );
  return present;
}

/**
 * Runs tasks, at most `jobs` at a time. After the first failure no new task starts; the ones
 * running finish (so no temp file is left mid-write), then the first error is thrown.
 */
export async function runBounded<T>(tasks: Array<() => Promise<T>>, jobs: number): Promise<T[]> {
  const limit = pLimit(jobs);
  let failure: { error: unknown } | undefined;
  const results = await Promise.all(
    tasks.map((task) =>
      limit(async () => {
        if (failure) return undefined;
        try {
          return await task();
        } catch (error) {
          failure ??= { error };
          return undefined;
        }
      }),
    ),
  );
  if (failure) throw failure.error;
  return results as T[];
}
