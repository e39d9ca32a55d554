import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Spec } from '../config/spec.ts';
import { loadSpec } from '../config/spec.ts';
import type { ColumnarDataset } from '../dataset/columnar.ts';
import { loadDataset } from '../dataset/parquet.ts';
import { UserError } from '../errors.ts';
import { computeMetrics } from '../metrics/index.ts';
import { onnxruntimeVersion, openSession, scoreDataset } from '../model/score.ts';
import type { ModelSignature } from '../model/signature.ts';
import { buildProfile } from '../profile/build.ts';
import type { RunRecord, SearchTrial } from '../runs/record.ts';
import { newRunId, writeRun } from '../runs/store.ts';
import { openStore } from '../store/open-store.ts';
import type { ObjectStore } from '../store/store.ts';
import { runCommandTrainer } from './command-trainer.ts';
import { trainGbdt } from './gbdt/index.ts';
import { dataLineage, gitState } from './lineage.ts';
import { trainLinear } from './linear/index.ts';
import { runSearch, searchCandidates } from './search.ts';
import { signatureFor } from './signature.ts';
import { sliceDataset, timeOrderedSplit } from './split.ts';
import type { Params, Trainer } from './trainer.ts';

/**
 * The train step: load the spec's data, split off the newest training rows for validation, train
 * the configured trainer (or search over its parameters), train the linear baseline beside it,
 * export ONNX and prove onnxruntime scores the test data as the trainer does, build the reference
 * profile, and write run.json + model.onnx + profile.json to `.mlship/runs/<run-id>/` and the store.
 */
export type TrainerType = 'gbdt' | 'linear' | 'command';

export interface TrainOptions {
  /** The parsed spec; loaded from `specPath` (default mlship.yaml) when absent. */
  spec?: Spec;
  specPath?: string;
  /** Data paths are relative to this (default: the spec's folder, or the working directory). */
  root?: string;
  /** Use this trainer instead of the spec's (its spec params are then ignored). */
  trainer?: TrainerType;
  /** Parameter overrides on top of the spec's (and of every search trial). */
  params?: Params;
  trainPaths?: string[];
  testPaths?: string[];
  /** Where runs are stored (default: the spec's remote). */
  store?: ObjectStore;
  /** Local run folders (default: <root>/.mlship/runs). */
  runsDir?: string;
  /** Train the linear baseline beside a non-linear trainer (default true). */
  baseline?: boolean;
  runId?: string;
  onProgress?: (message: string) => void;
}

export interface TrainResult {
  runId: string;
  record: RunRecord;
  /** Local files of the run. */
  paths: { dir: string; record: string; model: string; profile: string };
  /** Store keys written, and the store's URL. */
  storeKeys: string[];
  storeUrl: string;
}

/** Largest difference allowed between the trainer's predictions and onnxruntime's on the test data. */
export const EXPORT_TOLERANCE = 1e-5;
const MLSHIP_VERSION = '0.1.0';

/** What the step needs from any trained model, built-in or command. */
interface Fitted {
  predict(dataset: ColumnarDataset): Promise<Float64Array>;
  toOnnx(signature: ModelSignature): Uint8Array;
  featureImportance(): Record<string, number> | undefined;
  params: Params;
  /** True when predictions already come from onnxruntime (a command's model): nothing to verify. */
  scoredByOnnx: boolean;
}

const BUILT_IN: Record<'gbdt' | 'linear', Trainer> = { gbdt: trainGbdt, linear: trainLinear };

export async function train(options: TrainOptions): Promise<TrainResult> {
  const totalStarted = performance.now();
  const timings: Record<string, number> = {};
  const time = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      timings[name] = round((performance.now() - started) / 1000, 3);
    }
  };
  const progress = options.onProgress ?? (() => {});
  const specFile = options.specPath ?? 'mlship.yaml';
  const spec = options.spec ?? (await loadSpec(specFile));
  const root = resolve(
    options.root ?? (options.specPath ? dirname(resolve(options.specPath)) : process.cwd()),
  );
  const runId = options.runId ?? newRunId();
  const { type, command, params } = resolveTrainer(spec, options, specFile);
  const trainPaths = options.trainPaths ?? spec.data.train;
  const testPaths = options.testPaths ?? spec.data.test;

  progress(`loading ${trainPaths.length} training and ${testPaths.length} test file(s)`);
  const [trainData, testData] = await time('load', () =>
    Promise.all([
      loadDataset(
        trainPaths.map((path) => resolve(root, path)),
        spec.features,
        spec.target,
      ),
      loadDataset(
        testPaths.map((path) => resolve(root, path)),
        spec.features,
        spec.target,
      ),
    ]),
  );
  checkLabels(trainData.labels, spec, trainPaths.join(', '));
  checkLabels(testData.labels, spec, testPaths.join(', '));
  const classes =
    spec.task === 'multiclass' ? Math.max(maxLabel(trainData.labels), maxLabel(testData.labels)) + 1 : 2;
  const signature = signatureFor(spec.features, spec.task, classes);

  const split = timeOrderedSplit(trainData.rowsPerFile);
  const fitData = sliceDataset(trainData.dataset, 0, split.trainRows);
  const fitLabels = trainData.labels.subarray(0, split.trainRows);
  const validation = sliceDataset(trainData.dataset, split.trainRows, trainData.dataset.numRows);
  const validationLabels = trainData.labels.subarray(split.trainRows);
  const test = testData.dataset;
  const testLabels = testData.labels;
  progress(
    `split: ${fitData.numRows} train rows, ${validation.numRows} validation rows (${split.rule === 'last-file' ? `the last file, ${trainPaths[trainPaths.length - 1]}` : 'the newest 20%'}), ${test.numRows} test rows`,
  );

  const trainOnce = async (trialParams: Params): Promise<Fitted> => {
    if (type === 'command') {
      const result = await runCommandTrainer({
        command: command!,
        cwd: root,
        features: spec.features,
        target: spec.target,
        task: spec.task,
        signature,
        train: fitData,
        trainLabels: fitLabels,
        validation,
        validationLabels,
        test,
        testLabels,
        params: trialParams,
        onProgress: progress,
        specFile,
      });
      const session = await openSession(result.onnx);
      return {
        predict: (dataset) => scoreDataset(session, dataset, signature),
        toOnnx: () => result.onnx,
        featureImportance: () => undefined,
        params: result.params,
        scoredByOnnx: true,
      };
    }
    const model = await BUILT_IN[type]({
      features: spec.features,
      task: spec.task,
      train: fitData,
      trainLabels: fitLabels,
      validation,
      validationLabels,
      params: trialParams,
      onProgress: progress,
    });
    return {
      predict: async (dataset) => model.predict(dataset),
      toOnnx: (sig) => model.toOnnx(sig),
      featureImportance: () => model.featureImportance(),
      params: model.params,
      scoredByOnnx: false,
    };
  };
  const metricsOf = (labels: Float64Array, scores: Float64Array) =>
    metricsFor(spec.task, labels, scores, classes);

  let model: Fitted;
  let search: SearchTrial[] | undefined;
  // The search space is written for the spec's trainer: another trainer chosen at run time trains once.
  const searchSpec = type === spec.trainer.type ? spec.search : undefined;
  if (searchSpec) {
    // Explicit overrides pin a parameter in every trial, even one the space also names.
    const candidates = searchCandidates(searchSpec, params, specFile).map((candidate) => ({
      ...candidate,
      ...options.params,
    }));
    progress(
      `search: ${searchSpec.method}, ${candidates.length} trial(s), ranked by validation ${searchSpec.metric}`,
    );
    const outcome = await time('train', () =>
      runSearch(
        searchSpec,
        candidates,
        async (trialParams) => {
          const fitted = await trainOnce(trialParams);
          return { model: fitted, metrics: metricsOf(validationLabels, await fitted.predict(validation)) };
        },
        { specFile, onProgress: progress },
      ),
    );
    search = outcome.trials;
    model = outcome.bestModel;
    progress(
      `search: best is trial ${outcome.best + 1} ${JSON.stringify(outcome.trials[outcome.best].params)}`,
    );
  } else {
    progress(`training ${type}`);
    model = await time('train', () => trainOnce(params));
  }

  const validationScores = await time('predict', () => model.predict(validation));
  const metrics = {
    validation: metricsOf(validationLabels, validationScores),
    test: {} as Record<string, number>,
  };

  const onnx = await time('export', async () => model.toOnnx(signature));
  const testScores = await time('verify', async () => {
    const scored = await scoreDataset(onnx, test, signature);
    if (!model.scoredByOnnx) verifyExport(await model.predict(test), scored, spec.task);
    return scored;
  });
  // Test metrics from onnxruntime's scores: what the exported model, i.e. what serving, will do.
  metrics.test = metricsOf(testLabels, testScores);
  progress(`${type}: ${headline(metrics.validation, 'validation')}; ${headline(metrics.test, 'test')}`);

  let baseline: RunRecord['baseline'];
  if (type !== 'linear' && options.baseline !== false) {
    baseline = await time('baseline', async () => {
      progress('training the linear baseline');
      const linear = await trainLinear({
        features: spec.features,
        task: spec.task,
        train: fitData,
        trainLabels: fitLabels,
        validation,
        validationLabels,
        params: {},
        onProgress: progress,
      });
      return {
        validation: metricsOf(validationLabels, linear.predict(validation)),
        test: metricsOf(testLabels, linear.predict(test)),
      };
    });
    progress(`baseline: ${headline(baseline.test, 'test')}`);
  }

  // The reference profile is the validation split (the newest training month) with its scores: what
  // the model saw last, scored out of sample, like the traffic it will serve.
  const profile = await time('profile', async () =>
    buildProfile({
      model: spec.model,
      runId,
      dataset: validation,
      features: spec.features,
      scores: profileScores(spec.task, validationScores, classes),
    }),
  );

  const [trainLineage, testLineage, git] = await Promise.all([
    dataLineage(root, trainPaths, progress),
    dataLineage(root, testPaths, progress),
    gitState(root),
  ]);
  const profileText = `${JSON.stringify(profile)}\n`;
  timings.total = round((performance.now() - totalStarted) / 1000, 3);
  const record: RunRecord = {
    schema: 1,
    runId,
    model: spec.model,
    createdAt: new Date().toISOString(),
    trainer: { type, params: model.params },
    features: spec.features.map(({ name, kind }) => ({ name, kind })),
    target: spec.target,
    signature,
    metrics,
    ...(baseline ? { baseline } : {}),
    ...(model.featureImportance() ? { featureImportance: model.featureImportance() } : {}),
    ...(search ? { search } : {}),
    data: { train: trainLineage, test: testLineage },
    git,
    timings,
    environment: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: cpus().length,
      mlship: MLSHIP_VERSION,
      onnxruntime: onnxruntimeVersion(),
    },
    artifacts: {
      model: { sha256: sha256Hex(onnx), bytes: onnx.byteLength },
      profile: { sha256: sha256Hex(profileText) },
    },
    rows: { train: fitData.numRows, validation: validation.numRows, test: test.numRows },
  };
  const store = options.store ?? openStore(spec.remote, root);
  const written = await writeRun(store, options.runsDir ?? resolve(root, '.mlship/runs'), {
    record,
    model: onnx,
    profile: profileText,
  });
  progress(`run ${runId} written to ${written.dir} and ${store.url}`);
  return {
    runId,
    record,
    paths: { dir: written.dir, record: written.record, model: written.model, profile: written.profile },
    storeKeys: written.keys,
    storeUrl: store.url,
  };
}

function resolveTrainer(
  spec: Spec,
  options: TrainOptions,
  specFile: string,
): { type: TrainerType; command?: string; params: Params } {
  const type = options.trainer ?? spec.trainer.type;
  if (!['gbdt', 'linear', 'command'].includes(type)) {
    throw new UserError(`unknown trainer "${type}"`, { fix: 'use gbdt, linear or command' });
  }
  const sameAsSpec = type === spec.trainer.type;
  if (type === 'command' && spec.trainer.type !== 'command') {
    throw new UserError('the command trainer needs trainer.command in the spec', {
      file: specFile,
      field: 'trainer.command',
      fix: 'set trainer: {type: command, command: "..."} in mlship.yaml',
    });
  }
  const params = { ...(sameAsSpec ? spec.trainer.params : {}), ...options.params };
  return { type, command: spec.trainer.type === 'command' ? spec.trainer.command : undefined, params };
}

/** The metric calls of the step, in one place: the project's metrics (src/metrics). */
export function metricsFor(
  task: Spec['task'],
  labels: Float64Array,
  scores: Float64Array,
  classes: number,
): Record<string, number> {
  const metrics = computeMetrics(task, labels, scores, { classes });
  // Round for the record (1e-6 is below any difference worth reading); a metric that is undefined on
  // this data (e.g. AUC with one class present) is left out rather than written as null.
  return Object.fromEntries(
    Object.entries(metrics)
      .filter(([, value]) => Number.isFinite(value))
      .map(([name, value]) => [name, round(value, 6)]),
  );
}

/** Fails loudly when onnxruntime's scores differ from the trainer's: the export is wrong. */
export function verifyExport(expected: Float64Array, scored: Float64Array, task: Spec['task']): void {
  if (expected.length !== scored.length) {
    throw new Error(
      `ONNX export check: ${scored.length} scores from onnxruntime, ${expected.length} from the trainer`,
    );
  }
  let worst = 0;
  let worstRow = -1;
  for (let i = 0; i < expected.length; i++) {
    // Regression values carry their own units: compare relative to the value's size.
    const scale = task === 'regression' ? Math.max(1, Math.abs(expected[i])) : 1;
    const difference = Math.abs(expected[i] - scored[i]) / scale;
    if (!(difference <= worst)) {
      worst = difference;
      worstRow = i;
      if (Number.isNaN(difference)) break;
    }
  }
  if (!(worst <= EXPORT_TOLERANCE)) {
    throw new Error(
      `ONNX export check failed: onnxruntime scores ${scored[worstRow]} where the trainer predicts ${expected[worstRow]} (test row ${worstRow}, difference ${worst} > ${EXPORT_TOLERANCE})`,
    );
  }
}

function checkLabels(labels: Float64Array, spec: Spec, files: string): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    const bad =
      Number.isNaN(label) ||
      (spec.task === 'binary' && label !== 0 && label !== 1) ||
      (spec.task === 'multiclass' && (!Number.isInteger(label) || label < 0));
    if (bad) {
      throw new UserError(
        `target "${spec.target}" has ${Number.isNaN(label) ? 'a missing value' : `the value ${label}`} in row ${i} of ${files}`,
        {
          field: 'target',
          fix:
            spec.task === 'binary'
              ? 'a binary target must be 0/1 or true/false with no missing values'
              : spec.task === 'multiclass'
                ? 'a multiclass target must be class indices 0..K-1 with no missing values'
                : 'drop rows whose target is missing',
        },
      );
    }
  }
}

function maxLabel(labels: Float64Array): number {
  let max = 0;
  for (let i = 0; i < labels.length; i++) max = Math.max(max, labels[i]);
  return max;
}

/** One score per row for the profile: P(positive), the value, or the winning class's probability. */
function profileScores(task: Spec['task'], scores: Float64Array, classes: number): Float64Array {
  if (task !== 'multiclass') return scores;
  const rows = scores.length / classes;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let max = 0;
    for (let k = 0; k < classes; k++) max = Math.max(max, scores[i * classes + k]);
    out[i] = max;
  }
  return out;
}

export function headline(metrics: Record<string, number>, label: string): string {
  const names = ['auc', 'log_loss', 'accuracy', 'macro_f1', 'rmse', 'r2'].filter((name) => name in metrics);
  return `${label} ${names.map((name) => `${name}=${metrics[name].toFixed(4)}`).join(' ')}`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
