import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Spec } from '../config/spec.ts';
import { loadDataset } from '../dataset/parquet.ts';
import type { DriftCheckResult } from '../drift/check.ts';
import { readCaptureWindow } from '../drift/window.ts';
import { envManifestPath } from '../gitops/manifest.ts';
import { openStore } from '../store/open-store.ts';
import type { ObjectStore } from '../store/store.ts';
import { runDemoAction } from './actions.ts';
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
  options: DemoOptions,
  step: Step,
  retrain: (month: string) => Promise<number | null>,
): Promise<{ reports: Record<string, string>; checks: DriftCheckResult[] }> {
  const { log } = options;
  const store = openStore(spec.remote, world.project);
  const reports: Record<string, string> = {};
  const checks: DriftCheckResult[] = [];
  const serveStaging = (pod: string) =>
    startService({
      repoRoot: options.repoRoot,
      manifestPath: envManifestPath(join(world.project, 'gitops'), 'staging'),
      remote: world.remote,
      pod,
      captureFlushMs: CAPTURE_FLUSH_MS,
    });
  let service = await step('start the inference service on what staging pins, as its container starts', () =>
    serveStaging('demo-0'),
  );
  log(`    ${service.url} is ready, serving ${await servedVersion(service.url, spec.model)}`);
  try {
    for (const month of REPLAY_MONTHS) {
      const labels = join('data', 'flights', `${month}.parquet`);
      const { dataset } = await loadDataset([join(world.project, labels)], spec.features, spec.target);
      const rows = evenlySpacedRows(dataset.numRows, options.replayRows ?? 50_000);
      const from = new Date();
      const sent = await step(
        `replay ${month} as traffic: ${rows.length} flights in requests of 100 rows`,
        () => replay(service.url, dataset, spec.features, { rows, batch: 100, concurrency: 8 }),
      );
      log(
        `    ${sent.requests} requests in ${sent.seconds.toFixed(1)} s (${Math.round(sent.rows / sent.seconds)} rows/s), ${sent.errors} errors`,
      );
      await waitForCapture(store, spec, from, sent.rows);
      const to = new Date();
      const outDir = join('.mlship', 'drift', month);
      const checked = await step(
        `drift-check the ${month} window with the outcomes that arrived (actions/drift-check)`,
        () =>
          runDemoAction(
            'drift-check',
            world.project,
            {
              environment: 'staging',
              from: from.toISOString(),
              to: to.toISOString(),
              labels,
              'out-dir': outDir,
            },
            log,
          ),
      );
      const check = JSON.parse(await readFile(checked.outputs['json-path'], 'utf8')) as DriftCheckResult;
      checks.push(check);
      reports[`drift report ${month}`] = checked.outputs['report-path'];
      for (const line of driftTable(check)) log(`    ${line}`);
      if (check.drifted || check.performance?.degraded) {
        log(`    ${check.drifted ? 'drift' : 'performance degradation'} in ${month}: retraining`);
        if ((await retrain(month)) !== null) {
          service = await step(
            'Argo CD syncs the merged staging manifest: the pods roll onto it',
            async () => {
              const code = await service.stop();
              log(`    the old pod drained and exited with code ${code} on SIGTERM`);
              return serveStaging('demo-1');
            },
          );
          log(`    ${service.url} is ready, serving ${await servedVersion(service.url, spec.model)}`);
          break;
        }
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

async function servedVersion(url: string, model: string): Promise<string> {
  const response = await fetch(`${url}/v2/models/${model}`);
  const body = (await response.json()) as { name: string; versions: string[] };
  return `${body.name} v${body.versions.join(', v')}`;
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
    `window: ${check.window.rows} rows served by v${check.version}; drift share ${check.driftShare.toFixed(2)} (threshold ${check.thresholds.drift_share}): ${check.drifted ? 'DRIFTED' : 'no drift'}`,
    'feature       test            statistic  threshold  psi     drifted',
  ];
  for (const f of [...check.features, check.score]) {
    lines.push(
      `${f.feature.padEnd(13)} ${f.test.padEnd(15)} ${f.statistic.toFixed(4).padStart(9)}  ${f.threshold.toFixed(4).padStart(9)}  ${f.psi.toFixed(4)}  ${f.drifted ? 'yes' : 'no'}`,
    );
  }
  for (const c of check.performance?.comparison ?? []) {
    if (c.allowed === null) continue;
    lines.push(
      `${c.metric} on the window ${c.window.toFixed(4)} vs ${c.registered.toFixed(4)} registered: regression ${c.regression.toFixed(4)}, allowed ${c.allowed}${c.degraded ? ': DEGRADED' : ''}`,
    );
  }
  return lines;
}
