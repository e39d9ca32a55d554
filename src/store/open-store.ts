import { resolve } from 'node:path';
import { LocalStore } from './local-store.ts';
import type { ObjectStore } from './store.ts';

/** Opens the store a remote URL names: `s3://bucket/prefix` or a local directory. */
export function openStore(remote: string, baseDir = process.cwd()): ObjectStore {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote) && !remote.startsWith('file://')) {
    throw new Error(`remote scheme of ${remote} is not supported yet`);
  }
  const path = remote.startsWith('file://') ? new URL(remote).pathname : remote;
  return new LocalStore(resolve(baseDir, path));
}
