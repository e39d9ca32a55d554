import { UserError } from '../errors.ts';
import type { PromoteImage } from './promote.ts';

/**
 * Turns the doors' image inputs into a PromoteImage: `--image name@sha256:...` pins as given;
 * `--image-tag` (with the ECR repository) is resolved to a digest in ECR; neither keeps the pin.
 */
export interface ImageInputs {
  image?: string;
  imageTag?: string;
  imageRepository?: string;
  registryId?: string;
  allowCritical?: boolean;
  ecrEndpoint?: string;
  region?: string;
}

export function imageFromInputs(inputs: ImageInputs): PromoteImage | undefined {
  if (inputs.image && inputs.imageTag) {
    throw new UserError('give either an image pinned by digest or an image tag to resolve, not both', {
      field: 'image',
      fix: 'drop --image (image) or --image-tag (image-tag)',
    });
  }
  if (inputs.image) {
    const at = inputs.image.lastIndexOf('@');
    if (at <= 0) {
      throw new UserError(`"${inputs.image}" is not pinned by digest`, {
        field: 'image',
        fix: 'use <repository>@sha256:<digest>, or pass an image tag to resolve in ECR',
      });
    }
    return { name: inputs.image.slice(0, at), digest: inputs.image.slice(at + 1) };
  }
  if (inputs.imageTag) {
    const ecr = {
      ...(inputs.region ? { region: inputs.region } : {}),
      ...(inputs.ecrEndpoint ? { endpoint: inputs.ecrEndpoint } : {}),
    };
    return {
      repository: inputs.imageRepository || 'mlship-serve',
      tag: inputs.imageTag,
      registryId: inputs.registryId || undefined,
      allowCritical: inputs.allowCritical,
      ecr,
    };
  }
  return undefined;
}

/** `owner/repo` of a GitHub remote URL (https or ssh), or null for any other remote. */
export function githubRepoFromUrl(url: string): { owner: string; repo: string } | null {
  const match = /github\.com[:/]([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(url);
  return match ? { owner: match[1], repo: match[2] } : null;
}

/** A version given as text by a door (flag or action input); empty means the newest. */
export function parseVersion(text: string | undefined, field: string): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const version = Number(text.trim().replace(/^v/, ''));
  if (!Number.isInteger(version) || version <= 0) {
    throw new UserError(`"${text}" is not a version number`, {
      field,
      fix: 'pass a registered version, e.g. 3',
    });
  }
  return version;
}
