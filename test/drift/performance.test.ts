import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/config/spec.ts';
import { driftCheck } from '../../src/drift/check.ts';
import { windowPerformance } from '../../src/drift/performance.ts';
import { computeMetrics } from '../../src/metrics/index.ts';
import { LocalStore } from '../../src/store/local-store.ts';
import { toYaml } from '../../src/util/fs.ts';
import { FEATURES, rows, toDataset } from './synthetic.ts';
import { CAPTURED, makeProject } from './world.ts';

describe('windowPerformance', () => {
  it('matches captured rows to labelled rows by content, each labelled row once', () => {
    const labelled = rows(300, 5);
    // The window saw the first 100 labelled rows (numbers through float32), plus 20 never labelled.
    const seen = [
      ...labelled.slice(0, 100),
      ...rows(20, 6).map((r) => ({ ...r, distance: r.distance + 0.5 })),
    ];
    const window = toDataset(seen);
    const result = windowPerformance({
      task: 'binary',
      features: FEATURES,
      window: window.dataset,
      scores: window.scores,
      labelled: toDataset(labelled).dataset,
      labels: toDataset(labelled).labels,
      registered: { auc: 0.99, log_loss: 0.1, made_up: 1 },
      maxRegression: { auc: 0.05 },
    });
    expect(result.matched).toBe(100);
    expect(result.unmatched).toBe(20);
    const expected = computeMetrics(
      'binary',
      labelled.slice(0, 100).map((r) => r.label),
      labelled.slice(0, 100).map((r) => r.score),
    );
    expect(result.metrics.auc).toBeCloseTo(expected.auc, 12);
    expect(result.comparison.map((c) => c.metric)).toEqual(['auc', 'log_loss']);
    const auc = result.comparison[0];
    expect(auc.regression).toBeCloseTo(0.99 - expected.auc, 12);
    expect(auc.degraded).toBe(true);
    expect(result.comparison[1].allowed).toBeNull();
    expect(result.comparison[1].degraded).toBe(false);
    expect(result.degraded).toBe(true);
  });

  it('gives identical rows their labels once each', () => {
    const row = rows(1, 9)[0];
    const labelled = [
      { ...row, label: 1 },
      { ...row, label: 0 },
    ];
    const window = toDataset([row, row, row]);
    const result = windowPerformance({
      task: 'binary',
      features: FEATURES,
      window: window.dataset,
      scores: window.scores,
      labelled: toDataset(labelled).dataset,
      labels: toDataset(labelled).labels,
      registered: {},
      maxRegression: {},
    });
    expect(result.matched).toBe(2);
    expect(result.unmatched).toBe(1);
  });
});

describe('driftCheck with labelled data for the window', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlship-drift-perf-'));
    await makeProject(dir);
    // The month's outcomes: every captured flight and as many that were not served.
    const all = [...CAPTURED, ...rows(2000, 23)];
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'origin', data: all.map((r) => (r.origin === '' ? null : r.origin)), type: 'STRING' },
        { name: 'distance', data: Int32Array.from(all, (r) => r.distance), type: 'INT32', nullable: false },
        { name: 'dep_hour', data: Int32Array.from(all, (r) => r.dep_hour), type: 'INT32', nullable: false },
        { name: 'delayed', data: all.map((r) => r.label === 1), type: 'BOOLEAN', nullable: false },
      ],
    });
    await writeFile(join(dir, 'june.parquet'), new Uint8Array(buffer));
    await mkdir(join(dir, 'gitops/registry'), { recursive: true });
    const sha = 'a'.repeat(64);
    await writeFile(
      join(dir, 'gitops/registry/flights.yaml'),
      toYaml({
        schema: 1,
        model: 'flights',
        versions: [
          {
            version: 2,
            createdAt: '2001-06-01T00:00:00Z',
            runId: 'run-7',
            artifact: { uri: 'models/flights/a.onnx', sha256: sha, bytes: 1 },
            profile: { uri: 'runs/run-7/profile.json', sha256: sha },
            metrics: { auc: 0.95, log_loss: 0.2 },
            lineage: { commit: null, data: {}, params: {} },
            signature: { task: 'binary', inputs: [], outputs: [] },
          },
        ],
      }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('scores the window against the registered metrics and shows it in the report', async () => {
    const spec = await loadSpec(join(dir, 'mlship.yaml'));
    spec.gates.max_regression = { auc: 0.02 };
    const result = await driftCheck({
      spec,
      store: new LocalStore(join(dir, 'remote')),
      environment: 'staging',
      gitopsDir: join(dir, 'gitops'),
      from: new Date('2001-06-01T00:00:00Z'),
      to: new Date('2001-07-01T00:00:00Z'),
      labels: [join(dir, 'june.parquet')],
      outDir: join(dir, 'out'),
    });
    const performance = result.performance!;
    expect(performance.matched).toBe(2000);
    const expected = computeMetrics(
      'binary',
      CAPTURED.map((r) => r.label),
      CAPTURED.map((r) => Math.fround(r.score)),
    );
    expect(performance.metrics.auc).toBeCloseTo(expected.auc, 10);
    const auc = performance.comparison.find((c) => c.metric === 'auc')!;
    expect(auc.registered).toBe(0.95);
    expect(auc.degraded).toBe(true);
    // The headline says so even when the inputs did not drift.
    const summary = await readFile(result.paths.summary, 'utf8');
    expect(summary).toMatch(/performance DEGRADED \(auc\)/);
    expect(await readFile(result.paths.report, 'utf8')).toContain('performance DEGRADED (auc)');
  });
});
