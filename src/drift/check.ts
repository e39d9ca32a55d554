import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DriftSpec, FeatureSpec, Spec } from '../config/spec.ts';
import type { ColumnarDataset } from '../dataset/columnar.ts';
import { loadDataset } from '../dataset/parquet.ts';
import { UserError } from '../errors.ts';
import { envManifestPath } from '../gitops/manifest.ts';
import type { Profile } from '../profile/profile.ts';
import { type LedgerEntry, ledgerPath, ledgerSchema } from '../registry/ledger.ts';
import { fetchVerified, parseProfile, readManifest } from '../serve/artifact.ts';
import type { ObjectStore } from '../store/store.ts';
import { parseYaml, writeFileAtomic } from '../util/fs.ts';
import { validate } from '../util/validate.ts';
import { categoricalDrift, type DriftThresholds, type FeatureDrift, numericDrift } from './compare.ts';
import { type WindowPerformance, windowPerformance } from './performance.ts';
import { renderDriftHtml, renderDriftMarkdown } from './report.ts';
import { readCaptureWindow } from './window.ts';

/**
 * drift-check: a window of what the service answered against the reference profile of the version
 * the environment serves. Per feature the Evidently-style test (see compare.ts) plus PSI; the score
 * likewise; the window is drifted when the share of drifted features reaches `drift_share`.
 */
export interface DriftResult {
  features: FeatureDrift[];
  score: FeatureDrift;
  driftedFeatures: string[];
  driftShare: number;
  drifted: boolean;
}

/** The statistics alone, on columns already in memory (what the benchmark times). */
export function computeDrift(
  profile: Profile,
  features: FeatureSpec[],
  current: ColumnarDataset,
  scores: ArrayLike<number>,
  drift: Pick<DriftSpec, 'p_value' | 'distance' | 'psi' | 'drift_share'> & Pick<DriftThresholds, 'stattest'>,
): DriftResult {
  const thresholds: DriftThresholds = drift;
  const results = features.map((feature) => {
    const reference = profile.features[feature.name];
    if (!reference)
      throw new UserError(`the reference profile has no feature "${feature.name}"`, {
        field: 'features',
        fix: 'drift-check the features the served model was trained on',
      });
    const column = current.columns[feature.name];
    if (!column) throw new Error(`the window has no column ${feature.name}`);
    if (reference.kind === 'numeric' && column.kind === 'numeric') {
      return numericDrift(feature.name, reference, column.values, thresholds);
    }
    if (reference.kind === 'categorical' && column.kind === 'categorical') {
      return categoricalDrift(feature.name, reference, column, thresholds);
    }
    throw new UserError(
      `feature "${feature.name}" is ${feature.kind} but ${reference.kind} in the reference profile`,
      {
        field: 'features',
        fix: 'use the feature kinds the served model was trained with',
      },
    );
  });
  const score = numericDrift('score', profile.score, scores, thresholds);
  const driftedFeatures = results.filter((r) => r.drifted).map((r) => r.feature);
  const driftShare = results.length > 0 ? driftedFeatures.length / results.length : 0;
  return { features: results, score, driftedFeatures, driftShare, drifted: driftShare >= drift.drift_share };
}

export interface DriftCheckOptions {
  spec: Pick<Spec, 'model' | 'task' | 'features' | 'target' | 'drift' | 'gates'>;
  store: ObjectStore;
  environment: string;
  /** Folder with overlays/<env>/model.yaml and registry/<model>.yaml. */
  gitopsDir: string;
  from: Date;
  to: Date;
  /** Labelled data (Parquet, with the target column) covering the window: adds performance. */
  labels?: string[];
  /** Where report.html, drift.json and summary.md are written. */
  outDir: string;
  onProgress?: (message: string) => void;
}

export interface DriftCheckResult extends DriftResult {
  schema: 1;
  model: string;
  environment: string;
  version: number;
  runId: string;
  window: { from: string; to: string; rows: number; files: number; bytes: number };
  /** False when the window has fewer rows than drift.min_rows: nothing is called drifted then. */
  judged: boolean;
  reason?: string;
  thresholds: DriftSpec;
  /** Versions that answered rows of the window (a window may span a rollout). */
  servedVersions: Record<string, number>;
  performance?: WindowPerformance;
  paths: { report: string; json: string; summary: string };
  seconds: { read: number; statistics: number; total: number };
}

export async function driftCheck(options: DriftCheckOptions): Promise<DriftCheckResult> {
  const started = performance.now();
  const { spec, store, environment } = options;
  const say = options.onProgress ?? (() => {});
  const manifestFile = envManifestPath(options.gitopsDir, environment);
  const manifest = await readManifest(manifestFile);
  if (manifest.model !== spec.model) {
    throw new UserError(`the manifest serves model "${manifest.model}", not "${spec.model}"`, {
      file: manifestFile,
      field: 'model',
      fix: 'drift-check the model this environment serves',
    });
  }
  say(`reference: ${spec.model} v${manifest.version} in ${environment} (${manifest.profile.uri})`);
  const profile = parseProfile(
    await fetchVerified(manifest.profile.uri, manifest.profile.sha256, store),
    manifest.profile.uri,
  );

  const readStart = performance.now();
  const window = await readCaptureWindow({
    store,
    model: spec.model,
    environment,
    from: options.from,
    to: options.to,
    features: spec.features,
    onProgress: say,
  });
  const readSeconds = (performance.now() - readStart) / 1000;
  const rows = window.dataset.numRows;
  say(`window: ${rows} rows from ${window.files.length} file(s) in ${readSeconds.toFixed(2)} s`);

  const statsStart = performance.now();
  const result = computeDrift(profile, spec.features, window.dataset, window.scores, spec.drift);
  const statsSeconds = (performance.now() - statsStart) / 1000;
  const judged = rows >= spec.drift.min_rows;

  let performanceResult: WindowPerformance | undefined;
  if (options.labels && options.labels.length > 0 && rows > 0) {
    const entry = await registeredEntry(options.gitopsDir, spec.model, manifest.version);
    const labelled = await loadDataset(options.labels, spec.features, spec.target);
    performanceResult = windowPerformance({
      task: spec.task,
      features: spec.features,
      window: window.dataset,
      scores: window.scores,
      labelled: labelled.dataset,
      labels: labelled.labels,
      registered: entry?.metrics ?? {},
      maxRegression: spec.gates.max_regression,
    });
    say(`performance: ${performanceResult.matched} of ${rows} rows matched to labels`);
  }

  const servedVersions: Record<string, number> = {};
  for (const v of window.versions) servedVersions[v] = (servedVersions[v] ?? 0) + 1;
  const outDir = resolve(options.outDir);
  const checkResult: DriftCheckResult = {
    schema: 1,
    model: spec.model,
    environment,
    version: manifest.version,
    runId: profile.runId,
    window: {
      from: options.from.toISOString(),
      to: options.to.toISOString(),
      rows,
      files: window.files.length,
      bytes: window.bytes,
    },
    ...result,
    drifted: judged && result.drifted,
    judged,
    ...(judged
      ? {}
      : {
          reason: `${rows} rows in the window; at least ${spec.drift.min_rows} are needed (drift.min_rows)`,
        }),
    thresholds: spec.drift,
    servedVersions,
    ...(performanceResult ? { performance: performanceResult } : {}),
    paths: {
      report: join(outDir, 'report.html'),
      json: join(outDir, 'drift.json'),
      summary: join(outDir, 'summary.md'),
    },
    seconds: { read: readSeconds, statistics: statsSeconds, total: 0 },
  };
  await writeFileAtomic(checkResult.paths.report, await renderDriftHtml(checkResult));
  await writeFileAtomic(checkResult.paths.summary, renderDriftMarkdown(checkResult));
  checkResult.seconds.total = (performance.now() - started) / 1000;
  await writeFileAtomic(checkResult.paths.json, `${JSON.stringify(checkResult, null, 2)}\n`);
  return checkResult;
}

/** The ledger entry of the served version, for its registered metrics (absent ledger: none). */
async function registeredEntry(
  gitopsDir: string,
  model: string,
  version: number,
): Promise<LedgerEntry | undefined> {
  const file = ledgerPath(gitopsDir, model);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const ledger = validate(ledgerSchema, parseYaml(text, file), file);
  return ledger.versions.find((v) => v.version === version);
}
