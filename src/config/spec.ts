import { resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { parseYaml, readTextFile } from '../util/fs.ts';
import { validate } from '../util/validate.ts';

/** `mlship.yaml`: the pipeline spec. Versioned by `schema`, validated on load. */

const featureSchema = z.strictObject({
  name: z.string().min(1),
  kind: z.enum(['categorical', 'numeric']),
});

const paramValue = z.union([z.number(), z.string(), z.boolean()]);

const trainerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('gbdt'), params: z.record(z.string(), paramValue).default({}) }),
  z.strictObject({ type: z.literal('linear'), params: z.record(z.string(), paramValue).default({}) }),
  z.strictObject({
    type: z.literal('command'),
    /** Run through the shell with MLSHIP_* environment variables naming data, params and output. */
    command: z.string().min(1),
    params: z.record(z.string(), paramValue).default({}),
  }),
]);

const rangeSchema = z.union([
  z.array(paramValue).min(1),
  z.strictObject({
    min: z.number(),
    max: z.number(),
    log: z.boolean().default(false),
    int: z.boolean().default(false),
  }),
]);

const searchSchema = z.strictObject({
  method: z.enum(['random', 'grid']),
  trials: z.number().int().positive().default(10),
  /** Metric the trials are ranked by, on the validation split. */
  metric: z.string().default('auc'),
  space: z.record(z.string(), rangeSchema),
  seed: z.number().int().default(0),
});

const metricBounds = z.record(z.string(), z.number());

const gatesSchema = z
  .strictObject({
    /** Metric must be at least this (e.g. auc: 0.70). */
    min: metricBounds.default({}),
    /** Metric must be at most this (e.g. log_loss: 0.5). */
    max: metricBounds.default({}),
    /** Largest allowed regression against the champion, in the metric's own units. */
    max_regression: metricBounds.default({}),
  })
  .default({ min: {}, max: {}, max_regression: {} });

const driftSchema = z
  .strictObject({
    /** Share of drifted features (0..1) at or above which the window counts as drifted. */
    drift_share: z.number().min(0).max(1).default(0.5),
    psi: z.number().positive().default(0.2),
    /** p-value below which KS / chi-square call a feature drifted (small samples). */
    p_value: z.number().positive().max(1).default(0.05),
    /** Distance threshold for normalised Wasserstein / Jensen-Shannon (large samples). */
    distance: z.number().positive().default(0.1),
    /** Minimum rows in a window before it is judged. */
    min_rows: z.number().int().positive().default(1000),
    /** `auto`: Evidently's choice of test by column kind and sample size; `psi`: PSI decides for every column. */
    stattest: z.enum(['auto', 'psi']).default('auto'),
  })
  .default({ drift_share: 0.5, psi: 0.2, p_value: 0.05, distance: 0.1, min_rows: 1000, stattest: 'auto' });

export const specSchema = z.strictObject({
  schema: z.literal(1),
  model: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9-]*$/,
      'model names are lower-case letters, digits and dashes (they become git tags)',
    ),
  task: z.enum(['binary', 'multiclass', 'regression']),
  data: z.strictObject({
    /** Tracked paths (in data.lock) used for training; the last part is the validation split. */
    train: z.array(z.string()).min(1),
    test: z.array(z.string()).min(1),
  }),
  features: z.array(featureSchema).min(1),
  target: z.string().min(1),
  trainer: trainerSchema,
  search: searchSchema.optional(),
  gates: gatesSchema,
  drift: driftSchema,
  /** `s3://bucket/prefix` or a local directory (relative to the spec's folder). */
  remote: z.string().default('.mlship/remote'),
  environments: z.array(z.string().regex(/^[a-z0-9-]+$/)).default(['staging', 'production']),
});

export type Spec = z.infer<typeof specSchema>;
export type FeatureSpec = z.infer<typeof featureSchema>;
export type TrainerSpec = z.infer<typeof trainerSchema>;
export type GatesSpec = z.infer<typeof gatesSchema>;
export type DriftSpec = z.infer<typeof driftSchema>;
export type SearchSpec = z.infer<typeof searchSchema>;

export function parseSpec(text: string, file: string): Spec {
  const spec = validate(specSchema, parseYaml(text, file), file);
  const names = new Set<string>();
  spec.features.forEach((feature, index) => {
    if (names.has(feature.name)) {
      throw new UserError(`feature "${feature.name}" is listed twice`, {
        file,
        field: `features.${index}.name`,
        fix: 'list each feature once',
      });
    }
    names.add(feature.name);
  });
  if (names.has(spec.target)) {
    throw new UserError(`the target "${spec.target}" is also a feature`, {
      file,
      field: 'target',
      fix: 'remove the target from features',
    });
  }
  return spec;
}

export async function loadSpec(path = 'mlship.yaml'): Promise<Spec> {
  const file = resolve(path);
  const text = await readTextFile(
    file,
    'pipeline spec',
    'create mlship.yaml (see README) or pass --spec <path>',
  );
  return parseSpec(text, path);
}
