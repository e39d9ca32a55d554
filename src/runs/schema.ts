import { z } from 'zod';
import { modelSignatureSchema } from '../model/signature.ts';
import type { RunRecord } from './record.ts';

/**
 * The zod schema of run.json, so a record read from the store is checked field by field (a record
 * written by a newer mlship, or edited by hand, fails with the field that is wrong). Unknown fields
 * are kept: a newer writer may add some.
 */
const paramValue = z.union([z.number(), z.string(), z.boolean()]);
const metrics = z.record(z.string(), z.number());
const splitMetrics = z.object({ validation: metrics, test: metrics });

export const runRecordSchema = z.looseObject({
  schema: z.literal(1),
  runId: z.string().min(1),
  model: z.string().min(1),
  createdAt: z.string(),
  trainer: z.looseObject({ type: z.string(), params: z.record(z.string(), paramValue) }),
  features: z.array(z.looseObject({ name: z.string(), kind: z.enum(['categorical', 'numeric']) })),
  target: z.string(),
  signature: modelSignatureSchema,
  metrics: splitMetrics,
  baseline: splitMetrics.optional(),
  featureImportance: z.record(z.string(), z.number()).optional(),
  search: z
    .array(z.looseObject({ params: z.record(z.string(), paramValue), metrics, seconds: z.number() }))
    .optional(),
  data: z.looseObject({ train: z.record(z.string(), z.string()), test: z.record(z.string(), z.string()) }),
  git: z.looseObject({ commit: z.string().nullable(), dirty: z.boolean() }),
  timings: z.record(z.string(), z.number()),
  environment: z.looseObject({
    node: z.string(),
    platform: z.string(),
    arch: z.string(),
    cpus: z.number(),
    mlship: z.string(),
    onnxruntime: z.string().optional(),
  }),
  artifacts: z.looseObject({
    model: z.looseObject({ sha256: z.string(), bytes: z.number() }),
    profile: z.looseObject({ sha256: z.string() }),
  }),
  rows: z.looseObject({ train: z.number(), validation: z.number(), test: z.number() }),
}) satisfies z.ZodType<RunRecord>;
