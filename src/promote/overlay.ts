import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import YAML from 'yaml';
import { UserError } from '../errors.ts';
import { type EnvManifest, envManifestPath, parseEnvManifest } from '../gitops/manifest.ts';
import { toYaml, writeFileAtomic } from '../util/fs.ts';

/**
 * What `promote` owns in `gitops/overlays/<env>/`: `model.yaml` (the version served) and the
 * serving image's digest pin in `kustomization.yaml` (kustomize's `images:` transformer).
 * Everything else in the overlay (replicas, limits, patches, comments) is left as the user wrote it.
 */

/** The base's placeholder image name that overlays replace (gitops/base/rollout.yaml). */
export const SERVING_IMAGE_NAME = 'mlship-serve';

export interface ImagePin {
  /** Image repository, e.g. `111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlship-serve`. */
  name: string;
  digest: string;
}

export interface OverlayState {
  manifest: EnvManifest | null;
  image: ImagePin | null;
}

export function overlayDir(gitopsDir: string, environment: string): string {
  return join(gitopsDir, 'overlays', environment);
}

function kustomizationPath(gitopsDir: string, environment: string): string {
  return join(overlayDir(gitopsDir, environment), 'kustomization.yaml');
}

/** The files a promotion rewrites; nothing else in the repository is touched. */
export function promotedFiles(gitopsDir: string, environment: string): string[] {
  return [envManifestPath(gitopsDir, environment), kustomizationPath(gitopsDir, environment)];
}

async function readKustomization(gitopsDir: string, environment: string): Promise<YAML.Document> {
  const file = kustomizationPath(gitopsDir, environment);
  if (!existsSync(file)) {
    throw new UserError(`environment "${environment}" has no overlay`, {
      file,
      fix: `create gitops/overlays/${environment}/ (copy overlays/staging) or pick an existing environment`,
    });
  }
  const doc = YAML.parseDocument(await readFile(file, 'utf8'));
  if (doc.errors.length > 0) {
    throw new UserError(`invalid YAML: ${doc.errors[0].message.split('\n')[0]}`, {
      file,
      fix: 'correct the YAML syntax at the line shown',
    });
  }
  return doc;
}

export async function readOverlay(gitopsDir: string, environment: string): Promise<OverlayState> {
  const doc = await readKustomization(gitopsDir, environment);
  const manifestFile = envManifestPath(gitopsDir, environment);
  const manifest = existsSync(manifestFile)
    ? parseEnvManifest(await readFile(manifestFile, 'utf8'), manifestFile)
    : null;
  const images = (doc.toJS() as { images?: Array<Record<string, unknown>> } | null)?.images ?? [];
  const entry = images.find((image) => image.name === SERVING_IMAGE_NAME);
  const image =
    entry && typeof entry.newName === 'string' && typeof entry.digest === 'string'
      ? { name: entry.newName, digest: entry.digest }
      : null;
  return { manifest, image };
}

/**
 * Writes model.yaml and the image pin. Only what differs is rewritten, so an unchanged overlay
 * stays byte-identical (re-running a promotion must not produce a commit).
 */
export async function writeOverlay(
  gitopsDir: string,
  environment: string,
  next: { manifest: EnvManifest; image: ImagePin },
): Promise<{ changedFiles: string[] }> {
  const changedFiles: string[] = [];
  const manifestFile = envManifestPath(gitopsDir, environment);
  const manifestText =
    '# Written by `mlship promote`: the model version this environment serves. Change it with a\n' +
    '# promotion (or a rollback, which is a promotion of an older version), not by hand.\n' +
    toYaml(next.manifest);
  const current = existsSync(manifestFile)
    ? parseEnvManifest(await readFile(manifestFile, 'utf8'), manifestFile)
    : null;
  // Compared by content, not bytes: a hand-formatted model.yaml with the same values is not a change.
  if (!current || !isDeepStrictEqual(current, next.manifest)) {
    await writeFileAtomic(manifestFile, manifestText);
    changedFiles.push(manifestFile);
  }

  const doc = await readKustomization(gitopsDir, environment);
  const before = doc.toString();
  let images = doc.get('images') as YAML.YAMLSeq | undefined;
  if (!YAML.isSeq(images)) {
    images = doc.createNode([]) as YAML.YAMLSeq;
    doc.set('images', images);
  }
  const entry = images.items.find(
    (item): item is YAML.YAMLMap => YAML.isMap(item) && item.get('name') === SERVING_IMAGE_NAME,
  );
  if (entry) {
    entry.set('newName', next.image.name);
    entry.delete('newTag');
    entry.set('digest', next.image.digest);
  } else {
    images.add(
      doc.createNode({ name: SERVING_IMAGE_NAME, newName: next.image.name, digest: next.image.digest }),
    );
  }
  const after = doc.toString();
  if (after !== before) {
    const file = kustomizationPath(gitopsDir, environment);
    await writeFileAtomic(file, after);
    changedFiles.push(file);
  }
  return { changedFiles };
}
