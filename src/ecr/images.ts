import {
  DescribeImagesCommand,
  ECRClient,
  type ECRClientConfig,
  ImageNotFoundException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { UserError } from '../errors.ts';

/**
 * Resolves an ECR image tag to its immutable digest (what overlays pin) and reads the image's
 * scan summary, refusing images with CRITICAL findings unless the caller allows them.
 */
export interface ResolveImageOptions {
  /** ECR repository name, e.g. `mlship-serve`. */
  repository: string;
  tag: string;
  /** AWS account of the registry; defaults to the caller's. */
  registryId?: string;
  /** Accept an image whose scan reports CRITICAL findings. */
  allowCritical?: boolean;
  /** ECR client settings: region, credentials, and `endpoint` (a stand-in in tests, a VPC endpoint). */
  client?: ECRClientConfig;
}

export interface ImageScan {
  /** ECR's scan status (COMPLETE, IN_PROGRESS, FAILED, ...) or null when the image was never scanned. */
  status: string | null;
  /** Findings per severity (CRITICAL, HIGH, ...), empty when there is no completed scan. */
  findings: Record<string, number>;
}

export interface ResolvedImage {
  /** Pullable repository, `<registry>.dkr.ecr.<region>.amazonaws.com/<repository>`. */
  name: string;
  digest: string;
  tag: string;
  registryId: string;
  repository: string;
  pushedAt: string | null;
  scan: ImageScan;
}

export async function resolveImage(options: ResolveImageOptions): Promise<ResolvedImage> {
  const client = new ECRClient({ region: process.env.AWS_REGION ?? 'us-east-1', ...options.client });
  try {
    const region = await client.config.region();
    const where = `ECR image ${options.repository}:${options.tag}`;
    let detail: Awaited<ReturnType<typeof describe>>;
    try {
      detail = await describe(client, options);
    } catch (error) {
      if (error instanceof ImageNotFoundException) {
        throw new UserError(`${where} not found`, {
          field: 'image-tag',
          fix: 'push the image first (the build workflow tags it) or pass a tag that exists',
        });
      }
      if (error instanceof RepositoryNotFoundException) {
        throw new UserError(`ECR repository "${options.repository}" not found`, {
          field: 'image-repository',
          fix: 'check the repository name, the registry id and the region (AWS_REGION)',
        });
      }
      throw error;
    }
    if (!detail?.imageDigest || !detail.registryId) {
      throw new Error(`ECR DescribeImages returned no digest for ${where}`);
    }
    const scan: ImageScan = {
      status: detail.imageScanStatus?.status ?? null,
      findings: Object.fromEntries(
        Object.entries(detail.imageScanFindingsSummary?.findingSeverityCounts ?? {}).filter(
          (entry): entry is [string, number] => typeof entry[1] === 'number',
        ),
      ),
    };
    const critical = scan.findings.CRITICAL ?? 0;
    if (critical > 0 && !options.allowCritical) {
      throw new UserError(
        `${where} (${detail.imageDigest}) has ${critical} CRITICAL finding(s) in its scan`,
        {
          field: 'image-tag',
          fix: 'rebuild the image with patched packages, or pass allow-critical (--allow-critical) to accept the risk',
        },
      );
    }
    const repository = detail.repositoryName ?? options.repository;
    return {
      name: `${detail.registryId}.dkr.ecr.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}/${repository}`,
      digest: detail.imageDigest,
      tag: options.tag,
      registryId: detail.registryId,
      repository,
      pushedAt: detail.imagePushedAt ? detail.imagePushedAt.toISOString() : null,
      scan,
    };
  } finally {
    client.destroy();
  }
}

async function describe(client: ECRClient, options: ResolveImageOptions) {
  const response = await client.send(
    new DescribeImagesCommand({
      repositoryName: options.repository,
      registryId: options.registryId,
      imageIds: [{ imageTag: options.tag }],
    }),
  );
  return response.imageDetails?.[0];
}
