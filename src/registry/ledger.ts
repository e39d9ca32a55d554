import { z } from 'zod';
import { modelSignatureSchema } from '../model/signature.ts';

/**
 * `gitops/registry/<model>.yaml`: the append-only ledger of registered versions. Registering also
 * tags `<model>@v<N>.0.0` (GTO's format). Stages are not stored here: they are derived from
 * which overlay's model.yaml points at a version.
 */
const metrics = z.record(z.string(), z.number());

export const ledgerEntrySchema = z.strictObject({
  version: z.number().int().positive(),
  createdAt: z.string(),
  runId: z.string().min(1),
  artifact: z.strictObject({
    uri: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int(),
  }),
  profile: z.strictObject({ uri: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  metrics,
  lineage: z.strictObject({
    commit: z.string().nullable(),
    /** Tracked path -> md5 from data.lock. */
    data: z.record(z.string(), z.string()),
    params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  }),
  signature: modelSignatureSchema,
});

export const ledgerSchema = z.strictObject({
  schema: z.literal(1),
  model: z.string().min(1),
  versions: z.array(ledgerEntrySchema),
});

export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;
export type Ledger = z.infer<typeof ledgerSchema>;

export function ledgerPath(gitopsDir: string, model: string): string {
  return `${gitopsDir}/registry/${model}.yaml`;
}

export function gitTagFor(model: string, version: number): string {
  return `${model}@v${version}.0.0`;
}
