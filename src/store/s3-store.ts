import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { UserError } from '../errors.ts';
import type { ObjectStore, StoreObjectInfo } from './store.ts';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing slash ('' for the bucket root). */
  prefix: string;
  /**
   * A custom endpoint (MinIO, s3rver, R2...). Defaults to MLSHIP_S3_ENDPOINT, then the SDK's
   * AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL. With a custom endpoint, path-style URLs are used.
   */
  endpoint?: string;
  region?: string;
  /** Defaults to the AWS SDK's provider chain (environment, profile, SSO, instance role...). */
  credentials?: S3ClientConfig['credentials'];
  /** Sockets kept alive per endpoint; at least the number of parallel transfers. */
  maxSockets?: number;
}

const IN_MEMORY_LIMIT = 8 << 20;

/**
 * Every failure reaches the caller as an error (the ones a user can fix become one-line
 * UserErrors), so the SDK's own logging of failed commands is dropped, as is its note about not
 * retrying a streamed upload; other warnings still show.
 */
const quietLogger = {
  debug: () => {},
  info: () => {},
  warn: (...args: unknown[]) => {
    if (!String(args[0]).includes('non-retryable streaming request')) console.warn(...args);
  },
  error: () => {},
};

/** Parses `s3://bucket/prefix`. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(match[1])) {
    throw new UserError(`"${url}" is not a valid S3 remote`, {
      fix: 'write it as s3://<bucket>/<prefix>, with a bucket name of lower-case letters, digits, dots and dashes',
    });
  }
  return { bucket: match[1], prefix: match[2].replace(/^\/+|\/+$/g, '') };
}

/** An S3 bucket (or any S3-compatible server) as a store, through @aws-sdk/client-s3. */
export class S3Store implements ObjectStore {
  readonly url: string;
  private readonly config: S3ClientConfig;
  private sdk?: Promise<{ client: S3Client; s3: typeof import('@aws-sdk/client-s3') }>;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly endpoint: string;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ? `${options.prefix}/` : '';
    this.url = `s3://${this.bucket}/${options.prefix}`;
    const endpoint =
      options.endpoint ??
      process.env.MLSHIP_S3_ENDPOINT ??
      process.env.AWS_ENDPOINT_URL_S3 ??
      process.env.AWS_ENDPOINT_URL;
    this.endpoint = endpoint ?? 'AWS S3';
    const maxSockets = options.maxSockets ?? 64;
    // mlship supports Node 20 on purpose; the SDK's notice about its own future support is noise.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.config = {
      logger: quietLogger,
      endpoint,
      forcePathStyle: endpoint !== undefined,
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      credentials: options.credentials,
      // Checksums beyond what S3-compatible servers understand break uploads there (aws-chunked
      // trailers); objects are md5-verified by the caller anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        // Keep-alive with enough sockets for every parallel transfer: new TCP connections per small
        // object would dominate a pull of thousands of files.
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
        connectionTimeout: 10_000,
      },
    };
  }

  /**
   * The SDK is loaded on first use: it is large, and a no-op pull (everything cached) or a local
   * remote never needs it.
   */
  private async client(): Promise<{ client: S3Client; s3: typeof import('@aws-sdk/client-s3') }> {
    this.sdk ??= import('@aws-sdk/client-s3').then((s3) => ({ s3, client: new s3.S3Client(this.config) }));
    return this.sdk;
  }

  private keyOf(key: string): string {
    return this.prefix + key;
  }

  async get(key: string): Promise<Uint8Array> {
    const { body } = await this.getStream(key);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async getStream(key: string): Promise<{ body: Readable; size?: number }> {
    try {
      const { client, s3 } = await this.client();
      const response = await client.send(
        new s3.GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }),
      );
      return { body: response.Body as Readable, size: response.ContentLength };
    } catch (error) {
      throw this.explain(error, key);
    }
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    try {
      const { client, s3 } = await this.client();
      await client.send(new s3.PutObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key), Body: body }));
    } catch (error) {
      throw this.explain(error, key);
    }
  }

  async putFile(key: string, path: string): Promise<void> {
    const { size } = await stat(path);
    try {
      // S3 replaces an object atomically, so readers never see half of it. Small files go as a
      // buffer, which the SDK can retry; big ones stream, so they never sit in memory.
      const body =
        size <= IN_MEMORY_LIMIT ? await readFile(path) : createReadStream(path, { highWaterMark: 1 << 20 });
      const { client, s3 } = await this.client();
      await client.send(
        new s3.PutObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(key),
          Body: body,
          ContentLength: size,
        }),
      );
    } catch (error) {
      throw this.explain(error, key);
    }
  }

  async getFile(key: string, path: string): Promise<void> {
    const { body } = await this.getStream(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await pipeline(body, createWriteStream(temp));
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw this.explain(error, key);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      const { client, s3 } = await this.client();
      await client.send(new s3.HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
      return true;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      // HEAD has no body, so a missing bucket looks like a missing key: both mean "not there".
      if (status === 404) return false;
      throw this.explain(error, key);
    }
  }

  async list(prefix: string): Promise<StoreObjectInfo[]> {
    const out: StoreObjectInfo[] = [];
    try {
      const { client, s3 } = await this.client();
      const pages = s3.paginateListObjectsV2(
        { client, pageSize: 1000 },
        { Bucket: this.bucket, Prefix: this.keyOf(prefix) },
      );
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          if (object.Key) out.push({ key: object.Key.slice(this.prefix.length), size: object.Size ?? 0 });
        }
      }
    } catch (error) {
      throw this.explain(error, prefix);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Turns the failures a user can fix into one-line UserErrors; anything else stays a bug. */
  private explain(error: unknown, key: string): unknown {
    if (error instanceof UserError) return error;
    const e = error as { name?: string; code?: string; message?: string; errors?: Array<{ code?: string }> };
    const code = e.code ?? e.errors?.[0]?.code;
    const name = e.name ?? '';
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message ?? '')) {
      return new UserError(`no AWS credentials found for ${this.url}`, {
        fix: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the environment',
      });
    }
    if (
      code &&
      [
        'ECONNREFUSED',
        'ENOTFOUND',
        'EAI_AGAIN',
        'ETIMEDOUT',
        'EHOSTUNREACH',
        'ENETUNREACH',
        'ECONNRESET',
      ].includes(code)
    ) {
      return new UserError(`cannot reach the S3 endpoint ${this.endpoint} for ${this.url} (${code})`, {
        fix: 'check that the server is running and that MLSHIP_S3_ENDPOINT (or AWS_ENDPOINT_URL) names it',
      });
    }
    if (name === 'TimeoutError') {
      return new UserError(`the S3 endpoint ${this.endpoint} did not answer in time (${this.url})`, {
        fix: 'check the network and that MLSHIP_S3_ENDPOINT (or AWS_ENDPOINT_URL) names a running server',
      });
    }
    if (name === 'NoSuchBucket') {
      return new UserError(`bucket "${this.bucket}" does not exist at ${this.endpoint}`, {
        fix: `create it (aws s3 mb s3://${this.bucket}) or correct the remote in mlship.yaml / --remote`,
      });
    }
    if (name === 'NoSuchKey' || (status === 404 && name === 'NotFound')) {
      return new UserError(`object ${key} is not in the store ${this.url}`, {
        fix: 'push it first (mlship data push), or check the remote in mlship.yaml',
      });
    }
    if (
      ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden'].includes(name) ||
      status === 403
    ) {
      return new UserError(
        `the S3 endpoint ${this.endpoint} refused the credentials for ${this.url} (${name || status})`,
        {
          fix: 'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) and the bucket policy',
        },
      );
    }
    return error;
  }
}
