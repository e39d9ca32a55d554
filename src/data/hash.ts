import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** A DVC object id: a file's md5, or a directory manifest's md5 with the `.dir` suffix. */
export const OBJECT_ID = /^[0-9a-f]{32}(\.dir)?$/;

export function md5Bytes(bytes: Uint8Array | string): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** md5 and size of a file, streamed in large chunks so a big file never sits in memory. */
export async function md5File(path: string): Promise<{ md5: string; size: number }> {
  const hash = createHash('md5');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { md5: hash.digest('hex'), size };
}

export function isDirId(id: string): boolean {
  return id.endsWith('.dir');
}
