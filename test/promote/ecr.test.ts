import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveImage } from '../../src/ecr/images.ts';
import { type FakeEcr, startFakeEcr } from './fake-ecr.ts';

const clean = `sha256:${'1'.repeat(64)}`;
const vulnerable = `sha256:${'2'.repeat(64)}`;
const unscanned = `sha256:${'3'.repeat(64)}`;

let ecr: FakeEcr;
const client = () => ({
  endpoint: ecr.endpoint,
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});

beforeAll(async () => {
  ecr = await startFakeEcr({
    images: [
      { repository: 'mlship-serve', tags: ['v1', 'latest'], digest: clean, findings: { HIGH: 2, MEDIUM: 5 } },
      { repository: 'mlship-serve', tags: ['v2'], digest: vulnerable, findings: { CRITICAL: 1, HIGH: 4 } },
      { repository: 'mlship-serve', tags: ['v3'], digest: unscanned },
    ],
  });
});
afterAll(async () => {
  expect(ecr.invalidRequests).toEqual([]);
  await ecr.close();
});

describe('resolveImage', () => {
  it('resolves a tag to its digest and pullable name, with the scan summary', async () => {
    const image = await resolveImage({ repository: 'mlship-serve', tag: 'v1', client: client() });
    expect(image).toEqual({
      name: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlship-serve',
      digest: clean,
      tag: 'v1',
      registryId: '111122223333',
      repository: 'mlship-serve',
      pushedAt: '2025-11-24T16:00:00.123Z',
      scan: { status: 'COMPLETE', findings: { HIGH: 2, MEDIUM: 5 } },
    });
    expect(ecr.requests.at(-1)).toEqual({
      target: 'AmazonEC2ContainerRegistry_V20150921.DescribeImages',
      body: { repositoryName: 'mlship-serve', imageIds: [{ imageTag: 'v1' }] },
    });
  });

  it('refuses an image with CRITICAL findings unless allowed', async () => {
    await expect(resolveImage({ repository: 'mlship-serve', tag: 'v2', client: client() })).rejects.toThrow(
      /1 CRITICAL finding.*allow-critical/,
    );
    const allowed = await resolveImage({
      repository: 'mlship-serve',
      tag: 'v2',
      allowCritical: true,
      client: client(),
    });
    expect(allowed.digest).toBe(vulnerable);
  });

  it('reports an unscanned image as such', async () => {
    const image = await resolveImage({ repository: 'mlship-serve', tag: 'v3', client: client() });
    expect(image.scan).toEqual({ status: null, findings: {} });
  });

  it('turns a missing tag or repository into a user error', async () => {
    await expect(
      resolveImage({ repository: 'mlship-serve', tag: 'nope', client: client() }),
    ).rejects.toMatchObject({
      name: 'UserError',
      message: expect.stringMatching(/mlship-serve:nope not found/),
    });
    await expect(
      resolveImage({ repository: 'other', tag: 'v1', registryId: '111122223333', client: client() }),
    ).rejects.toMatchObject({
      name: 'UserError',
      message: expect.stringMatching(/repository "other" not found/),
    });
  });

  it('has a stand-in that rejects requests ECR would reject', async () => {
    const response = await fetch(ecr.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-amz-target': 'DescribeImages' },
      body: JSON.stringify({ repository: 'mlship-serve' }),
    });
    expect(response.status).toBe(400);
    expect((await response.json()).__type).toBe('ValidationException');
    expect(ecr.invalidRequests.splice(0).flatMap((r) => r.problems)).toEqual([
      'content-type application/json: expected application/x-amz-json-1.1',
      'missing or malformed SigV4 Authorization for service "ecr"',
      'X-Amz-Target DescribeImages: expected AmazonEC2ContainerRegistry_V20150921.<Operation>',
    ]);
  });
});
