import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real S3 endpoint for tests and benchmarks: s3rver on 127.0.0.1, a free port, its data in a
 * fresh temp directory. `stop()` closes it and removes the directory. s3rver accepts any request
 * signed with its default key pair (below), which `env` carries for the AWS SDK's default chain.
 * In-process, listings of more than 1,000 keys fail (see startS3rverProcess); use the child process
 * for those.
 */
export interface S3rverHandle {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  port: number;
  /** The directory s3rver keeps buckets in. */
  directory: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Environment that points the AWS SDK (and aws cli) at this server. */
  env: Record<string, string>;
  /** Credentials object for clients that take them directly. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections?: () => void };
}

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

export async function startS3rver(options: { buckets?: string[] } = {}): Promise<S3rverHandle> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKeyId = 'S3RVER';
  const secretAccessKey = 'S3RVER';
  return {
    endpoint,
    port,
    directory,
    accessKeyId,
    secretAccessKey,
    credentials: { accessKeyId, secretAccessKey },
    env: {
      MLSHIP_S3_ENDPOINT: endpoint,
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    async stop() {
      // Keep-alive sockets from clients would otherwise hold close() open.
      server.httpServer?.closeAllConnections?.();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * The same server in a child process (see s3rver-process.ts), so it does not share the caller's
 * event loop: for benchmarks, or tests that block their own thread (spawnSync).
 */
export async function startS3rverProcess(options: { buckets?: string[] } = {}): Promise<S3rverHandle> {
  const child = spawn(
    process.execPath,
    // s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 keeps in its legacy
    // provider: without it any listing of more than 1,000 keys fails with InternalError.
    [
      '--openssl-legacy-provider',
      '--import',
      'tsx',
      join(import.meta.dirname, 's3rver-process.ts'),
      ...(options.buckets ?? []),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let text = '';
  for await (const chunk of child.stdout) {
    text += chunk;
    if (text.includes('\n')) break;
  }
  if (!text.includes('\n')) throw new Error('s3rver process exited before it was ready');
  const handle = JSON.parse(text) as Omit<S3rverHandle, 'stop'>;
  return {
    ...handle,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
    },
  };
}
