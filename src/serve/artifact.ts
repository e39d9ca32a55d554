import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { UserError } from '../errors.ts';
import { type EnvManifest, parseEnvManifest } from '../gitops/manifest.ts';
import type { Profile } from '../profile/profile.ts';
import { openStore } from '../store/open-store.ts';
import type { ObjectStore } from '../store/store.ts';

/**
 * Fetching what the environment manifest names and proving it is what was promoted: every byte
 * is checked against the manifest's sha256 before it is used.
 */
export async function readManifest(path: string): Promise<EnvManifest> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw new UserError('environment manifest not found', {
        file: path,
        fix: 'mount the overlay ConfigMap there, or pass --gitops and --env',
      });
    }
    throw error;
  });
  return parseEnvManifest(text, path);
}

export class ChecksumMismatchError extends Error {
  constructor(uri: string, expected: string, actual: string) {
    super(`${uri} has sha256 ${actual} but the manifest pins ${expected}; refusing to serve it`);
    this.name = 'ChecksumMismatchError';
  }
}

/**
 * A URI in a manifest is either a key in the configured remote (`models/m/<sha>.onnx`), a URL or
 * path under the remote, or an absolute location elsewhere (another bucket or directory), which
 * is opened as a store of its own.
 */
export function locate(uri: string, remote: ObjectStore | undefined): { store: ObjectStore; key: string } {
  const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) || isAbsolute(uri);
  if (remote && absolute) {
    for (const prefix of [remote.url, `file://${remote.url}`]) {
      if (uri.startsWith(`${prefix}/`)) return { store: remote, key: uri.slice(prefix.length + 1) };
    }
  }
  if (!absolute) {
    if (!remote) {
      throw new UserError(`artifact URI ${uri} is relative to a remote, but no remote was given`, {
        fix: 'pass --remote (or MLSHIP_REMOTE) naming the store the registry uploads to',
      });
    }
    return { store: remote, key: uri };
  }
  const slash = uri.lastIndexOf('/');
  return { store: openStore(uri.slice(0, slash)), key: uri.slice(slash + 1) };
}

export async function fetchVerified(
  uri: string,
  sha256: string,
  remote: ObjectStore | undefined,
): Promise<Uint8Array> {
  const { store, key } = locate(uri, remote);
  const bytes = await store.get(key);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) throw new ChecksumMismatchError(uri, sha256, actual);
  return bytes;
}

export function parseProfile(bytes: Uint8Array, uri: string): Profile {
  const profile = JSON.parse(Buffer.from(bytes).toString('utf8')) as Profile;
  if (profile?.schema !== 1 || typeof profile.features !== 'object' || !profile.score) {
    throw new UserError('not an mlship profile (schema 1)', { file: uri, field: 'schema' });
  }
  return profile;
}
