import { join } from 'node:path';
import type { Spec } from '../config/spec.ts';
import { loadDataset } from '../dataset/parquet.ts';
import { type DriftCheckResult, driftCheck } from '../drift/check.ts';
import { readCaptureWindow } from '../drift/window.ts';
import { envManifestPath } from '../gitops/manifest.ts';
import type { ObjectStore } from '../store/store.ts';
import type { DemoOptions, Step } from './demo.ts';
import { evenlySpacedRows, replay, startService } from './traffic.ts';
import type { DemoWorld } from './workspace.ts';

const REPLAY_MONTHS = ['2001-05', '2001-06'];
const CAPTURE_FLUSH_MS = 500;

/**
 * Production, watched: serve what staging pins, replay May and then June as traffic, drift-check
 * each window of captured traffic against the served version's profile (with the month's outcomes
 * as the labels that have arrived), and hand a drifted or degraded window to `retrain`.
 */
export async function serveAndWatch(
  world: DemoWorld,
  spec: Spec,
  store: ObjectStore,
  options: DemoOptions,
  step: Step,
  retrain: (month: string) => Promise<number | null>,
): Promise<{ reports: Record<string, string>; checks: DriftCheckResult[] }> {
  const { log } = options;
  const gitopsDir = join(world.project, 'gitops');
  const reports: Record<string, string> = {};
  const checks: DriftCheckResult[] = [];
  const service = await step(
    'start the inference service on what staging pins (as its container starts)',
    () =>
      startService({
        repoRoot: options.repoRoot,
        manifestPath: envManifestPath(gitopsDir, 'staging'),
        remote: world.remote,
        pod: 'demo-0',
        captureFlushMs: CAPTURE_FLUSH_MS,
      }),
  );
  log(`    ${service.url}`);
  try {
    for (const month of REPLAY_MONTHS) {
      const path = join(world.project, 'data', 'flights', `${month}.parquet`);
      const { dataset } = await loadDataset([path], spec.features, spec.target);
      const rows = evenlySpacedRows(dataset.numRows, options.replayRows ?? 50_000);
      const from = new Date();
      const sent = await step(`replay ${month} as traffic: ${rows.length} flights in requests of 100`, () =>
        replay(service.url, dataset, spec.features, { rows, batch: 100, concurrency: 8 }),
      );
      log(
        `    ${sent.requests} requests in ${sent.seconds.toFixed(1)} s (${Math.round(sent.rows / sent.seconds)} rows/s), ${sent.errors} errors`,
      );
      await waitForCapture(store, spec, from, sent.rows);
      const to = new Date();
      const check = await step(`drift-check the ${month} window against the served version's profile`, () =>
        driftCheck({
          spec,
          store,
          environment: 'staging',
          gitopsDir,
          from,
          to,
          labels: [path],
          outDir: join(world.project, '.mlship', 'drift', month),
        }),
      );
      checks.push(check);
      reports[`drift report ${month}`] = check.paths.report;
      for (const line of driftTable(check)) log(`    ${line}`);
      if (check.drifted || check.performance?.degraded) {
        log(`    ${check.drifted ? 'drift' : 'performance degradation'} found in ${month}: retraining`);
        const version = await retrain(month);
        if (version !== null) break;
      } else {
        log(`    no drift and no degradation in ${month}: nothing to do`);
      }
    }
  } finally {
    const code = await service.stop();
    log(`    the service drained and exited with code ${code} on SIGTERM`);
  }
  return { reports, checks };
}

/** Capture is flushed in the background: wait until the window holds what was sent (bounded). */
async function waitForCapture(store: ObjectStore, spec: Spec, from: Date, rows: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, CAPTURE_FLUSH_MS));
    const window = await readCaptureWindow({
      store,
      model: spec.model,
      environment: 'staging',
      from,
      to: new Date(),
      features: spec.features,
    });
    if (window.dataset.numRows >= rows) return;
  }
}

function driftTable(check: DriftCheckResult): string[] {
  const lines = [
    `window ${check.window.rows} rows, v${check.version}: drift share ${check.driftShare.toFixed(2)} (threshold ${check.thresholds.drift_share}) -> ${check.drifted ? 'DRIFTED' : 'no drift'}`,
    'feature       test            statistic  threshold  psi     drifted',
  ];
  for (const f of [...check.features, check.score]) {
    lines.push(
      `${f.feature.padEnd(13)} ${f.test.padEnd(15)} ${f.statistic.toFixed(4).padStart(9)}  ${f.threshold.toFixed(4).padStart(9)}  ${f.psi.toFixed(4)}  ${f.drifted ? 'yes' : 'no'}`,
    );
  }
  const performance = check.performance;
  if (performance) {
    for (const c of performance.comparison) {
      lines.push(
        `performance ${c.metric}: ${c.window.toFixed(4)} on the window vs ${c.registered.toFixed(4)} registered (regression ${c.regression.toFixed(4)}${c.allowed === null ? '' : `, allowed ${c.allowed}`}) ${c.degraded ? 'DEGRADED' : 'ok'}`,
      );
    }
  }
  return lines;
}
