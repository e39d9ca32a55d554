import { summarize } from '../../src/evaluate/summary.ts';
import type { EvaluationRecord, ScoredModel } from '../../src/evaluate/types.ts';
import { computeMetrics } from '../../src/metrics/index.ts';

/** Synthetic scored models and records for report and markdown tests (no ONNX needed). */
/** Deterministic synthetic scores: positives score higher on average, by `signal`. */
export function syntheticScores(n: number, signal: number, seed: number) {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const labels = new Float64Array(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = random() < 0.2 ? 1 : 0;
    const noise = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    scores[i] = 1 / (1 + Math.exp(-(noise + signal * labels[i] - 1.6)));
  }
  return { labels, scores };
}

export function syntheticModel(role: 'challenger' | 'champion', signal: number): ScoredModel {
  const { labels, scores } = syntheticScores(5000, signal, 7);
  return {
    role,
    runId: role === 'champion' ? 'run-champion' : 'run-challenger',
    version: role === 'champion' ? 1 : undefined,
    sha256: 'a'.repeat(64),
    metrics: computeMetrics('binary', labels, scores),
    summary: summarize('binary', labels, scores),
    featureImportance: { origin: 3 * signal, destination: 2, distance: 1, dep_hour: 4, day_of_week: 0.5 },
  };
}

export function syntheticRecord(challenger: ScoredModel, champion: ScoredModel | null): EvaluationRecord {
  const deltas: Record<string, number> = {};
  if (champion)
    for (const k of Object.keys(challenger.metrics)) deltas[k] = challenger.metrics[k] - champion.metrics[k];
  return {
    schema: 1,
    model: 'flight-delay',
    runId: challenger.runId,
    sha256: challenger.sha256,
    createdAt: '2026-01-01T00:00:00.000Z',
    task: 'binary',
    passed: false,
    rows: 5000,
    testData: ['data/flights/2001-05.parquet'],
    metrics: challenger.metrics,
    champion: champion
      ? { version: 1, runId: champion.runId, sha256: champion.sha256, metrics: champion.metrics }
      : null,
    deltas,
    gates: [
      {
        metric: 'auc',
        gate: 'min',
        limit: 0.65,
        actual: challenger.metrics.auc,
        status: 'pass',
        margin: -0.1,
        detail: 'ok',
      },
      {
        metric: 'auc',
        gate: 'max_regression',
        limit: 0.01,
        actual: 0.02,
        status: 'fail',
        margin: 0.01,
        detail: 'auc is 0.02 lower',
      },
    ],
    reportKey: 'runs/run-challenger/report.html',
  };
}
