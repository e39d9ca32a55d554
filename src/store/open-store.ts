import { resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { LocalStore } from './local-store.ts';
import { parseS3Url, S3Store } from './s3-store.ts';
import type { ObjectStore } from './store.ts';

/**
 * Opens the store a remote URL names: `s3://bucket/prefix` (endpoint from MLSHIP_S3_ENDPOINT or
 * AWS_ENDPOINT_URL, credentials from the AWS chain) or a local directory.
 */
export function openStore(remote: string, baseDir = process.cwd()): ObjectStore {
  if (remote.startsWith('s3://')) return new S3Store(parseS3Url(remote));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote) && !remote.startsWith('file://')) {
    throw new UserError(`the remote ${remote} uses a scheme mlship does not support`, {
      fix: 'use s3://<bucket>/<prefix> or a local directory',
    });
  }
  const path = remote.startsWith('file://') ? new URL(remote).pathname : remote;
  return new LocalStore(resolve(baseDir, path));
}
