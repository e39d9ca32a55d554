import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addPaths, pull, push, status } from '../../src/data/index.ts';
import { UserError } from '../../src/errors.ts';
import { openStore } from '../../src/store/open-store.ts';
import { type S3rverHandle, startS3rver } from '../support/s3rver.ts';
import { md5, removeAll, tempDir, writeFiles } from './helpers.ts';

let s3: S3rverHandle;
let client: S3Client;
const saved = { ...process.env };

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ['mlship'] });
  client = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: s3.credentials,
  });
});
afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});

let source: string;
let target: string;
beforeEach(async () => {
  // The store reads endpoint and credentials the way users set them: the environment.
  Object.assign(process.env, s3.env);
  source = await tempDir('s3src');
  target = await tempDir('s3dst');
});
afterEach(async () => {
  process.env = { ...saved };
  await removeAll(source, target);
});

const bodyOf = async (key: string) =>
  Buffer.from(
    await (
      await client.send(new GetObjectCommand({ Bucket: 'mlship', Key: key }))
    ).Body!.transformToByteArray(),
  );

describe('data push / pull against S3 (s3rver)', () => {
  it('pushes in DVC layout under the prefix, pulls into a fresh workspace, and reports status', async () => {
    const remote = 's3://mlship/team/data';
    const files: Record<string, string> = { 'data/x.csv': 'a,b\n1,2\n' };
    for (let i = 0; i < 40; i++) files[`data/shards/part-${i}.txt`] = `shard ${i}`;
    await writeFiles(source, files);
    await addPaths({ workspace: source, paths: ['data/x.csv', 'data/shards'] });
    // 42 objects: above the threshold where the remote is listed rather than probed key by key.
    expect(await status({ workspace: source, remote })).toMatchObject({ missingOnRemote: 42, clean: false });
    expect(await push({ workspace: source, remote, jobs: 8 })).toMatchObject({ objects: 42, uploaded: 42 });
    const id = md5('a,b\n1,2\n');
    expect((await bodyOf(`team/data/files/md5/${id.slice(0, 2)}/${id.slice(2)}`)).toString()).toBe(
      'a,b\n1,2\n',
    );
    expect(await push({ workspace: source, remote })).toMatchObject({ uploaded: 0, alreadyOnRemote: 42 });
    expect((await status({ workspace: source, remote })).clean).toBe(true);

    await writeFile(join(target, 'data.lock'), await readFile(join(source, 'data.lock')));
    expect(await pull({ workspace: target, remote, jobs: 8 })).toMatchObject({
      files: 41,
      fetched: 42,
      checkedOut: 41,
    });
    for (const [path, content] of Object.entries(files))
      expect(await readFile(join(target, path), 'utf8')).toBe(content);
    expect(await pull({ workspace: target, remote })).toMatchObject({ fetched: 0, cacheHit: true });
  });

  it('refuses an object whose bytes do not match its md5', async () => {
    const remote = 's3://mlship/corrupt';
    await writeFiles(source, { 'model.bin': 'good bytes' });
    await addPaths({ workspace: source, paths: ['model.bin'] });
    await push({ workspace: source, remote });
    const id = md5('good bytes');
    await client.send(
      new PutObjectCommand({
        Bucket: 'mlship',
        Key: `corrupt/files/md5/${id.slice(0, 2)}/${id.slice(2)}`,
        Body: 'evil',
      }),
    );
    await writeFile(join(target, 'data.lock'), await readFile(join(source, 'data.lock')));
    await expect(pull({ workspace: target, remote })).rejects.toThrow(
      new RegExp(
        `model\\.bin: object ${id} in s3://mlship/corrupt is corrupt: its bytes hash to ${md5('evil')}`,
      ),
    );
  });

  it('explains an unreachable endpoint, a missing bucket and missing credentials in one line', async () => {
    await writeFiles(source, { 'a.txt': 'a' });
    await addPaths({ workspace: source, paths: ['a.txt'] });

    const missingBucket = await push({ workspace: source, remote: 's3://no-such-bucket/x' }).catch(
      (e: unknown) => e,
    );
    expect(missingBucket).toBeInstanceOf(UserError);
    expect((missingBucket as Error).message).toMatch(
      /^bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+ \(fix: create it/,
    );

    // A port nothing listens on: s3rver's, once it is closed.
    const dead = await startS3rver();
    await dead.stop();
    process.env.MLSHIP_S3_ENDPOINT = dead.endpoint;
    const unreachable = await push({ workspace: source, remote: 's3://mlship/x' }).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(UserError);
    expect((unreachable as Error).message).toMatch(
      /^cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:\d+ .*\(ECONNREFUSED\)/,
    );

    process.env.MLSHIP_S3_ENDPOINT = s3.endpoint;
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
      delete process.env[name];
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(source, 'no-credentials');
    process.env.AWS_CONFIG_FILE = join(source, 'no-config');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    const noCredentials = await push({ workspace: source, remote: 's3://mlship/x' }).catch((e: unknown) => e);
    expect(noCredentials).toBeInstanceOf(UserError);
    expect((noCredentials as Error).message).toMatch(
      /^no AWS credentials found for s3:\/\/mlship\/x \(fix: set AWS_ACCESS_KEY_ID/,
    );
    for (const error of [missingBucket, unreachable, noCredentials])
      expect((error as Error).message).not.toContain('\n');
  });

  it('serves the generic store operations the other rooms use', async () => {
    const store = openStore('s3://mlship/store');
    await store.put('runs/r1/run.json', '{"ok":true}');
    expect(Buffer.from(await store.get('runs/r1/run.json')).toString()).toBe('{"ok":true}');
    await writeFile(join(source, 'model.onnx'), 'onnx bytes');
    await store.putFile('models/m/abc.onnx', join(source, 'model.onnx'));
    await store.getFile('models/m/abc.onnx', join(target, 'copy.onnx'));
    expect(await readFile(join(target, 'copy.onnx'), 'utf8')).toBe('onnx bytes');
    expect(await store.exists('models/m/abc.onnx')).toBe(true);
    expect(await store.exists('models/m/nope.onnx')).toBe(false);
    expect(await store.list('runs/')).toEqual([{ key: 'runs/r1/run.json', size: 11 }]);
    await expect(store.get('runs/missing.json')).rejects.toThrow(
      /object runs\/missing\.json is not in the store s3:\/\/mlship\/store/,
    );
    expect(() => openStore('s3://Bad_Bucket/x')).toThrow(UserError);
    expect(() => openStore('gs://bucket/x')).toThrow(/scheme mlship does not support/);
  });
});
