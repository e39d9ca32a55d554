import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Spec } from '../config/spec.ts';
import type { ColumnarDataset } from '../dataset/columnar.ts';
import { loadDataset } from '../dataset/parquet.ts';
import { UserError } from '../errors.ts';
import { envManifestPath, parseEnvManifest } from '../gitops/manifest.ts';
import { computeMetrics } from '../metrics/index.ts';
import { scoreDataset } from '../model/score.ts';
import type { ModelSignature } from '../model/signature.ts';
import { getVerified, readRunRecord, runKey, sha256Hex, storeKeyFromUri } from '../registry/artifacts.ts';
import { findVersion, readLedger } from '../registry/ledger-io.ts';
import { renderEvaluationReport } from '../report/evaluation.ts';
import { evaluationMarkdown } from '../report/markdown.ts';
import type { RunRecord } from '../runs/record.ts';
import type { ObjectStore } from '../store/store.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { applyGates, gatesPassed } from './gates.ts';
import { summarize } from './summary.ts';
import type { EvaluationRecord, EvaluationResult, ScoredModel } from './types.ts';

/**
 * evaluate: score the challenger (a run) and the champion (the version production serves) on the
 * same held-out rows, apply mlship.yaml's gates, write the report and `runs/<id>/evaluation.json`.
 * A failed gate is a result (passed=false), not an error: the doors decide what failing means.
 */
export interface EvaluateOptions {
  spec: Spec;
  runId: string;
  store: ObjectStore;
  /** Project root: data paths in the spec are relative to it. Default: the working directory. */
  root?: string;
  /** The gitops directory (champion manifest, registry). Default: <root>/gitops. */
  gitopsDir?: string;
  /** Environment whose served version is the champion. */
  championEnvironment?: string;
  /** Local path for the HTML report. Default: <root>/.mlship/reports/<model>-<run>.html. */
  reportPath?: string;
  /** Link to the report for the Markdown (a URL or path). Default: reportPath. */
  reportLink?: string;
  /** Decision threshold for accuracy, precision, recall, F1 and the confusion matrix. */
  threshold?: number;
  /** Held-out data already in memory (skips reading spec.data.test). */
  testData?: { dataset: ColumnarDataset; labels: Float64Array };
  onProgress?: (message: string) => void;
  now?: () => Date;
}

interface LoadedModel {
  runId: string;
  version?: number;
  sha256: string;
  bytes: Uint8Array;
  signature: ModelSignature;
  featureImportance?: Record<string, number>;
}

export async function evaluate(options: EvaluateOptions): Promise<EvaluationResult> {
  const { spec, store, runId } = options;
  const log = options.onProgress ?? (() => {});
  const root = resolve(options.root ?? process.cwd());
  const gitopsDir = options.gitopsDir ?? join(root, 'gitops');
  const createdAt = (options.now?.() ?? new Date()).toISOString();

  const run = await readRunRecord(store, runId);
  if (run.model !== spec.model) {
    throw new UserError(`run ${runId} trained "${run.model}", but mlship.yaml is for "${spec.model}"`, {
      file: 'mlship.yaml',
      field: 'model',
      fix: 'evaluate the run with the spec it was trained with',
    });
  }
  const challengerBytes = await getVerified(store, runKey(runId, 'model.onnx'), run.artifacts?.model?.sha256);
  const challenger: LoadedModel = {
    runId,
    sha256: sha256Hex(challengerBytes),
    bytes: challengerBytes,
    signature: run.signature,
    featureImportance: run.featureImportance,
  };
  const champion = await loadChampion(
    store,
    gitopsDir,
    spec.model,
    options.championEnvironment ?? 'production',
  );
  log(champion ? `champion: v${champion.version} (run ${champion.runId})` : 'no champion yet');

  // The champion may read a feature this spec dropped: load every column either model takes.
  const features = [...spec.features];
  for (const input of champion?.signature.inputs ?? []) {
    if (!features.some((f) => f.name === input.name)) features.push({ name: input.name, kind: input.kind });
  }
  const { dataset, labels } =
    options.testData ??
    (await loadDataset(
      spec.data.test.map((p) => resolve(root, p)),
      features,
      spec.target,
    ));
  const keep = rowsWithLabels(labels);
  log(`scoring ${keep.length.toLocaleString('en-US')} held-out rows`);

  const classNames = (run.signature.classes ?? []).map(String);
  const scoreModel = async (model: LoadedModel, role: 'challenger' | 'champion'): Promise<ScoredModel> => {
    const started = performance.now();
    const raw = await scoreDataset(model.bytes, dataset, model.signature);
    const width = Math.round(raw.length / dataset.numRows);
    const scores = keep.length === dataset.numRows ? raw : pick(raw, keep.rows, width);
    const kept = keep.length === dataset.numRows ? labels : pick(labels, keep.rows, 1);
    log(`${role}: scored in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return {
      role,
      runId: model.runId,
      version: model.version,
      sha256: model.sha256,
      metrics: computeMetrics(spec.task, kept, scores, { threshold: options.threshold, classes: width }),
      summary: summarize(spec.task, kept, scores, { threshold: options.threshold, classes: classNames }),
      featureImportance: model.featureImportance,
    };
  };
  const challengerScored = await scoreModel(challenger, 'challenger');
  const championScored = champion ? await scoreModel(champion, 'champion') : null;

  const deltas: Record<string, number> = {};
  if (championScored) {
    for (const [name, value] of Object.entries(challengerScored.metrics)) {
      const base = championScored.metrics[name];
      if (base !== undefined) deltas[name] = value - base;
    }
  }
  const gates = applyGates(spec.gates, challengerScored.metrics, championScored?.metrics ?? null);
  const reportKey = runKey(runId, 'report.html');
  const record: EvaluationRecord = {
    schema: 1,
    model: spec.model,
    runId,
    sha256: challenger.sha256,
    createdAt,
    task: spec.task,
    passed: gatesPassed(gates),
    rows: keep.length,
    testData: spec.data.test,
    metrics: challengerScored.metrics,
    champion:
      champion && championScored
        ? {
            version: champion.version!,
            runId: champion.runId,
            sha256: champion.sha256,
            metrics: championScored.metrics,
          }
        : null,
    deltas,
    gates,
    reportKey,
  };

  const html = await renderEvaluationReport({
    record,
    challenger: challengerScored,
    champion: championScored,
  });
  const reportPath = resolve(
    options.reportPath ?? join(root, '.mlship', 'reports', `${spec.model}-${runId}.html`),
  );
  await writeFileAtomic(reportPath, html);
  await store.put(reportKey, html);
  await store.put(runKey(runId, 'evaluation.json'), `${JSON.stringify(record, null, 2)}\n`);
  log(`report: ${reportPath}`);
  const markdown = evaluationMarkdown(record, { reportLink: options.reportLink ?? reportPath });
  return { ...record, reportPath, markdown };
}

/**
 * The champion is whatever the environment's manifest pins; its artifact is fetched by the key in
 * the manifest's URI and must match the manifest's sha256 (a swapped object is refused).
 */
async function loadChampion(
  store: ObjectStore,
  gitopsDir: string,
  model: string,
  environment: string,
): Promise<LoadedModel | null> {
  const file = envManifestPath(gitopsDir, environment);
  if (!existsSync(file)) return null;
  const manifest = parseEnvManifest(await readFile(file, 'utf8'), file);
  if (manifest.model !== model) {
    throw new UserError(`${environment} serves "${manifest.model}", not "${model}"`, {
      file,
      field: 'model',
      fix: 'one model per project: check mlship.yaml and the overlay',
    });
  }
  const bytes = await getVerified(store, storeKeyFromUri(manifest.artifact.uri), manifest.artifact.sha256);
  const ledger = await readLedger(gitopsDir, model);
  const entry = findVersion(ledger, manifest.version);
  let run: RunRecord | undefined;
  if (entry) run = await readRunRecord(store, entry.runId).catch(() => undefined);
  const signature = (entry?.signature ?? run?.signature) as ModelSignature | undefined;
  if (!signature) {
    throw new UserError(`version ${manifest.version} of ${model} is not in the registry ledger`, {
      file,
      field: 'version',
      fix: `pin a version listed in ${gitopsDir}/registry/${model}.yaml`,
    });
  }
  return {
    runId: entry?.runId ?? 'unknown',
    version: manifest.version,
    sha256: manifest.artifact.sha256,
    bytes,
    signature,
    featureImportance: run?.featureImportance,
  };
}

/** Rows whose label is known; unlabelled rows cannot be judged. */
function rowsWithLabels(labels: Float64Array): { rows: Int32Array; length: number } {
  let count = 0;
  for (let i = 0; i < labels.length; i++) if (!Number.isNaN(labels[i])) count++;
  const rows = new Int32Array(count);
  let j = 0;
  for (let i = 0; i < labels.length; i++) if (!Number.isNaN(labels[i])) rows[j++] = i;
  if (count === 0)
    throw new UserError('the held-out data has no labelled rows', {
      file: 'mlship.yaml',
      field: 'data.test',
    });
  return { rows, length: count };
}

function pick(values: Float64Array, rows: Int32Array, width: number): Float64Array {
  const out = new Float64Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    for (let k = 0; k < width; k++) out[i * width + k] = values[rows[i] * width + k];
  }
  return out;
}
