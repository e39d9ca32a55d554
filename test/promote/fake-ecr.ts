/**
 * A stand-in for Amazon ECR's API on 127.0.0.1: answers DescribeImages in the real service's wire
 * shapes (AWS JSON 1.1 protocol) and checks every request's shape the way ECR would: POST /, the
 * JSON 1.1 content type, the X-Amz-Target naming the operation, a SigV4 Authorization for service
 * "ecr", and a body with only DescribeImages' fields, a valid repository name and image ids.
 * Problems are answered as ECR answers them (400 with __type) and recorded in `invalidRequests`.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeImage {
  repository: string;
  tags: string[];
  digest: string;
  /** Severity -> count; omit for an image that was never scanned. */
  findings?: Record<string, number>;
  scanStatus?: string;
}

export interface FakeEcr {
  endpoint: string;
  registryId: string;
  images: FakeImage[];
  requests: Array<{ target: string; body: unknown }>;
  invalidRequests: Array<{ problems: string[]; body: unknown }>;
  close(): Promise<void>;
}

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const DESCRIBE_IMAGES_FIELDS = new Set([
  'registryId',
  'repositoryName',
  'imageIds',
  'nextToken',
  'maxResults',
  'filter',
]);

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function describeImagesProblems(body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(body)) {
    if (!DESCRIBE_IMAGES_FIELDS.has(key)) problems.push(`unknown field ${key}`);
  }
  if (typeof body.repositoryName !== 'string' || !REPOSITORY_NAME.test(body.repositoryName)) {
    problems.push('repositoryName must be a valid repository name');
  }
  if (body.registryId !== undefined && !/^[0-9]{12}$/.test(String(body.registryId))) {
    problems.push('registryId must be 12 digits');
  }
  if (body.imageIds !== undefined) {
    if (!Array.isArray(body.imageIds) || body.imageIds.length < 1 || body.imageIds.length > 100) {
      problems.push('imageIds must be a list of 1 to 100 image ids');
    } else {
      for (const id of body.imageIds as Array<Record<string, unknown>>) {
        const keys = Object.keys(id ?? {});
        if (keys.length === 0 || keys.some((k) => k !== 'imageTag' && k !== 'imageDigest')) {
          problems.push('each image id has imageTag and/or imageDigest only');
        }
        if (id.imageTag !== undefined && !/^[\w][\w.-]{0,299}$/.test(String(id.imageTag))) {
          problems.push('imageTag is not a valid tag');
        }
      }
    }
  }
  return problems;
}

export async function startFakeEcr(options: { registryId?: string; images: FakeImage[] }): Promise<FakeEcr> {
  const registryId = options.registryId ?? '111122223333';
  const fake: Omit<FakeEcr, 'endpoint' | 'close'> = {
    registryId,
    images: options.images,
    requests: [],
    invalidRequests: [],
  };
  const server = createServer(async (request, response) => {
    const text = await readBody(request);
    const reply = (status: number, body: unknown, errorType?: string) => {
      response.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': '00000000-0000-4000-8000-000000000000',
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      response.end(JSON.stringify(body));
    };
    const fail = (problems: string[], body: unknown) => {
      fake.invalidRequests.push({ problems, body });
      reply(400, { __type: 'ValidationException', message: problems.join('; ') }, 'ValidationException');
    };
    const problems: string[] = [];
    if (request.method !== 'POST' || request.url !== '/')
      problems.push(`${request.method} ${request.url}: expected POST /`);
    if (request.headers['content-type'] !== 'application/x-amz-json-1.1') {
      problems.push(`content-type ${request.headers['content-type']}: expected application/x-amz-json-1.1`);
    }
    const authorization = String(request.headers.authorization ?? '');
    if (
      !/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/ecr\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/.test(
        authorization,
      )
    ) {
      problems.push('missing or malformed SigV4 Authorization for service "ecr"');
    }
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text);
    } catch {
      problems.push('body is not JSON');
    }
    const target = String(request.headers['x-amz-target'] ?? '');
    if (!target.startsWith(TARGET_PREFIX))
      problems.push(`X-Amz-Target ${target}: expected ${TARGET_PREFIX}<Operation>`);
    if (problems.length > 0) return fail(problems, body);
    fake.requests.push({ target, body });

    const operation = target.slice(TARGET_PREFIX.length);
    if (operation !== 'DescribeImages') {
      return fail([`operation ${operation} is not implemented by the stand-in`], body);
    }
    const shapeProblems = describeImagesProblems(body);
    if (shapeProblems.length > 0) return fail(shapeProblems, body);

    const repository = body.repositoryName as string;
    const askedRegistry = (body.registryId as string | undefined) ?? registryId;
    const images = fake.images.filter((image) => image.repository === repository);
    if (askedRegistry !== registryId || images.length === 0) {
      return reply(
        400,
        {
          __type: 'RepositoryNotFoundException',
          message: `The repository with name '${repository}' does not exist in the registry with id '${askedRegistry}'`,
        },
        'RepositoryNotFoundException',
      );
    }
    const ids = (body.imageIds as Array<{ imageTag?: string; imageDigest?: string }> | undefined) ?? [];
    const found = ids.length === 0 ? images : [];
    for (const id of ids) {
      const image = images.find(
        (i) =>
          (id.imageTag === undefined || i.tags.includes(id.imageTag)) &&
          (id.imageDigest === undefined || i.digest === id.imageDigest),
      );
      if (!image) {
        return reply(
          400,
          {
            __type: 'ImageNotFoundException',
            message: `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${repository}' in the registry with id '${askedRegistry}'`,
          },
          'ImageNotFoundException',
        );
      }
      found.push(image);
    }
    reply(200, {
      imageDetails: found.map((image) => ({
        registryId,
        repositoryName: image.repository,
        imageDigest: image.digest,
        imageTags: image.tags,
        imageSizeInBytes: 187_654_321,
        // AWS JSON 1.1 sends timestamps as epoch seconds.
        imagePushedAt: 1_764_000_000.123,
        imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactMediaType: 'application/vnd.oci.image.config.v1+json',
        ...(image.findings
          ? {
              imageScanStatus: {
                status: image.scanStatus ?? 'COMPLETE',
                description: 'The scan was completed successfully.',
              },
              imageScanFindingsSummary: {
                imageScanCompletedAt: 1_764_000_100,
                vulnerabilitySourceUpdatedAt: 1_763_990_000,
                findingSeverityCounts: image.findings,
              },
            }
          : {}),
      })),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  });
}
