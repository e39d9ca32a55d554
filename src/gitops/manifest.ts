import { z } from 'zod';
import { parseYaml } from '../util/fs.ts';
import { validate } from '../util/validate.ts';

/**
 * `gitops/overlays/<env>/model.yaml`: the version an environment serves. Kustomize turns it into
 * a hash-suffixed ConfigMap, so changing it rolls the pods. A version's stage is derived from
 * these files; nothing else stores it.
 */
export const envManifestSchema = z.strictObject({
  schema: z.literal(1),
  model: z.string().min(1),
  version: z.number().int().positive(),
  environment: z.string().min(1),
  artifact: z.strictObject({ uri: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  profile: z.strictObject({ uri: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
});

export type EnvManifest = z.infer<typeof envManifestSchema>;

export function envManifestPath(gitopsDir: string, environment: string): string {
  return `${gitopsDir}/overlays/${environment}/model.yaml`;
}

export function parseEnvManifest(text: string, file: string): EnvManifest {
  return validate(envManifestSchema, parseYaml(text, file), file);
}
