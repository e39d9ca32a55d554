import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSpec } from '../../config/spec.ts';
import { orderedMetricNames } from '../../metrics/index.ts';
import type { RunRecord } from '../../runs/record.ts';
import { listRuns, readRun, resolveRunId } from '../../runs/store.ts';
import { openStore } from '../../store/open-store.ts';
import type { ObjectStore } from '../../store/store.ts';
import { printResult, table } from '../output.ts';

/** `mlship runs ls|show|compare`: the run records in the store (runs/<run-id>/run.json). */
interface RunsFlags {
  spec: string;
  remote?: string;
  json?: boolean;
  limit?: string;
}

export function register(program: Command): void {
  const runs = program
    .command('runs')
    .description('list, show and compare training runs recorded in the store');
  const common = (command: Command) =>
    command
      .option('--spec <path>', 'pipeline spec that names the remote', 'mlship.yaml')
      .option('--remote <url>', 'store to read (default: remote in mlship.yaml)')
      .option('--json', 'print JSON');

  common(runs.command('ls').description('runs, newest first, with their headline test metrics'))
    .option('--limit <n>', 'show at most this many runs', '50')
    .action(async (flags: RunsFlags) => {
      const records = await listRuns(await storeOf(flags), { limit: Number(flags.limit) });
      printResult(flags, records.map(summary), () => {
        if (records.length === 0) return 'no runs yet (mlship train records one)';
        return table(
          ['run', 'model', 'trainer', 'test auc', 'test log_loss', 'baseline auc', 'rows', 'commit'],
          records.map((r) => [
            r.runId,
            r.model,
            r.trainer.type,
            fmt(r.metrics.test.auc ?? r.metrics.test.rmse),
            fmt(r.metrics.test.log_loss),
            fmt(r.baseline?.test.auc),
            r.rows.train,
            r.git.commit ? `${r.git.commit.slice(0, 8)}${r.git.dirty ? '+' : ''}` : '',
          ]),
        );
      });
    });

  common(runs.command('show').description('one run: parameters, metrics, data, code, timings'))
    .argument('<run-id>', 'run id (or a unique prefix)')
    .action(async (id: string, flags: RunsFlags) => {
      const store = await storeOf(flags);
      const record = await readRun(store, await resolveRunId(store, id));
      printResult(flags, record, () => showRun(record));
    });

  common(runs.command('compare').description('two runs side by side: parameters and metrics, with deltas'))
    .argument('<a>', 'first run id (or prefix)')
    .argument('<b>', 'second run id (or prefix)')
    .action(async (a: string, b: string, flags: RunsFlags) => {
      const store = await storeOf(flags);
      const [left, right] = await Promise.all([
        resolveRunId(store, a).then((id) => readRun(store, id)),
        resolveRunId(store, b).then((id) => readRun(store, id)),
      ]);
      const comparison = compareRuns(left, right);
      printResult(flags, comparison, () => renderComparison(left, right, comparison));
    });
}

async function storeOf(flags: RunsFlags): Promise<ObjectStore> {
  if (flags.remote) return openStore(flags.remote);
  // A relative remote in the spec is relative to the spec's folder, as for `mlship train`.
  return openStore((await loadSpec(flags.spec)).remote, dirname(resolve(flags.spec)));
}

function summary(record: RunRecord) {
  return {
    runId: record.runId,
    model: record.model,
    createdAt: record.createdAt,
    trainer: record.trainer.type,
    test: record.metrics.test,
    baseline: record.baseline?.test,
    commit: record.git.commit,
  };
}

function showRun(r: RunRecord): string {
  const names = orderedMetricNames(r.metrics.validation, r.metrics.test);
  const metricRows = names.map((name) => [
    name,
    fmt(r.metrics.validation[name]),
    fmt(r.metrics.test[name]),
    fmt(r.baseline?.validation[name]),
    fmt(r.baseline?.test[name]),
  ]);
  const lines = [
    `run ${r.runId}  model ${r.model}  created ${r.createdAt}`,
    `trainer ${r.trainer.type}  ${Object.entries(r.trainer.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
    `rows: ${r.rows.train} train, ${r.rows.validation} validation, ${r.rows.test} test`,
    `code: ${r.git.commit ?? '(not a git repository)'}${r.git.dirty ? ' with uncommitted changes' : ''}`,
    '',
    table(['metric', 'validation', 'test', 'baseline validation', 'baseline test'], metricRows),
    '',
    'data:',
    ...Object.entries(r.data.train).map(([path, md5]) => `  train ${path}  ${md5}`),
    ...Object.entries(r.data.test).map(([path, md5]) => `  test  ${path}  ${md5}`),
    `model: ${r.artifacts.model.bytes} bytes, sha256 ${r.artifacts.model.sha256}`,
    `timings (s): ${Object.entries(r.timings)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ')}`,
  ];
  if (r.featureImportance) {
    const ranked = Object.entries(r.featureImportance).sort((a, b) => b[1] - a[1]);
    const total = ranked.reduce((sum, [, v]) => sum + v, 0) || 1;
    lines.push(
      '',
      table(
        ['feature', 'importance'],
        ranked.map(([name, v]) => [name, `${((100 * v) / total).toFixed(1)}%`]),
      ),
    );
  }
  if (r.search) {
    lines.push(
      '',
      `search: ${r.search.length} trial(s)`,
      table(
        ['trial', 'params', ...orderedMetricNames(r.search[0]?.metrics).slice(0, 3), 'seconds'],
        r.search.map((trial, i) => [
          i + 1,
          JSON.stringify(trial.params),
          ...orderedMetricNames(r.search![0]?.metrics)
            .slice(0, 3)
            .map((name) => fmt(trial.metrics[name])),
          trial.seconds.toFixed(1),
        ]),
      ),
    );
  }
  return lines.join('\n');
}

export interface RunComparison {
  runs: [string, string];
  params: Array<{ name: string; a: unknown; b: unknown }>;
  metrics: Array<{ split: 'validation' | 'test'; name: string; a?: number; b?: number; delta?: number }>;
  data: { same: boolean };
}

export function compareRuns(a: RunRecord, b: RunRecord): RunComparison {
  const paramNames = [
    ...new Set([...Object.keys(a.trainer.params), ...Object.keys(b.trainer.params)]),
  ].sort();
  const params = [
    { name: 'trainer', a: a.trainer.type as unknown, b: b.trainer.type as unknown },
    ...paramNames.map((name) => ({ name, a: a.trainer.params[name], b: b.trainer.params[name] })),
  ];
  const metrics: RunComparison['metrics'] = [];
  for (const split of ['validation', 'test'] as const) {
    for (const name of orderedMetricNames(a.metrics[split], b.metrics[split])) {
      const x = a.metrics[split][name];
      const y = b.metrics[split][name];
      metrics.push({
        split,
        name,
        a: x,
        b: y,
        delta: x !== undefined && y !== undefined ? y - x : undefined,
      });
    }
  }
  const same = JSON.stringify(a.data) === JSON.stringify(b.data);
  return { runs: [a.runId, b.runId], params, metrics, data: { same } };
}

function renderComparison(a: RunRecord, b: RunRecord, c: RunComparison): string {
  const show = (v: unknown) => (v === undefined ? '' : String(v));
  return [
    table(
      ['parameter', a.runId, b.runId, ''],
      c.params.map((p) => [p.name, show(p.a), show(p.b), p.a === p.b ? '' : 'differs']),
    ),
    '',
    table(
      ['split', 'metric', a.runId, b.runId, 'delta (b - a)'],
      c.metrics.map((m) => [
        m.split,
        m.name,
        fmt(m.a),
        fmt(m.b),
        m.delta === undefined ? '' : `${m.delta >= 0 ? '+' : ''}${m.delta.toFixed(4)}`,
      ]),
    ),
    '',
    c.data.same ? 'same data (identical lineage)' : 'different data: compare `mlship runs show` of each',
  ].join('\n');
}

function fmt(value: number | undefined): string {
  return value === undefined ? '' : value.toFixed(4);
}
