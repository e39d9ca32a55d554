import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec, type Spec } from '../../src/config/spec.ts';
import { driftCheck } from '../../src/drift/check.ts';
import { readCaptureWindow } from '../../src/drift/window.ts';
import { buildProfile } from '../../src/profile/build.ts';
import { CaptureWriter } from '../../src/serve/capture-writer.ts';
import { LocalStore } from '../../src/store/local-store.ts';
import { toYaml } from '../../src/util/fs.ts';
import { FEATURES, rows, toDataset, toRecords } from './synthetic.ts';

const SPEC = `
schema: 1
model: flights
task: binary
data: { train: [data/train.parquet], test: [data/test.parquet] }
features:
  - { name: distance, kind: numeric }
  - { name: dep_hour, kind: numeric }
  - { name: origin, kind: categorical }
target: delayed
trainer: { type: gbdt }
drift: { min_rows: 500 }
`;

describe('driftCheck on capture logs written by the service writer', () => {
  let dir: string;
  let store: LocalStore;
  let spec: Spec;
  const hour = (h: number) => new Date(Date.UTC(2026, 4, 1, h));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlship-drift-'));
    store = new LocalStore(join(dir, 'remote'));
    spec = parseSpec(SPEC, 'mlship.yaml');
    const reference = toDataset(rows(20_000, 1));
    const profile = buildProfile({
      model: 'flights',
      runId: 'run-1',
      dataset: reference.dataset,
      features: FEATURES,
      scores: reference.scores,
    });
    const profileBytes = JSON.stringify(profile);
    await store.put('runs/run-1/profile.json', profileBytes);
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    await mkdir(join(dir, 'gitops/overlays/production'), { recursive: true });
    await writeFile(
      join(dir, 'gitops/overlays/production/model.yaml'),
      toYaml({
        schema: 1,
        model: 'flights',
        version: 1,
        environment: 'production',
        artifact: { uri: 'models/flights/x.onnx', sha256: sha('model') },
        profile: { uri: 'runs/run-1/profile.json', sha256: sha(profileBytes) },
      }),
    );
    const writer = new CaptureWriter({
      store,
      model: 'flights',
      version: 1,
      environment: 'production',
      pod: 'pod-a',
      maxRecordsPerFile: 700,
      maxBufferedRecords: 100_000,
      flushIntervalMs: 3_600_000,
      onRecords: () => {},
      onError: (error) => {
        throw error;
      },
    });
    // 10:00 same distribution as training; 12:00 shifted; 14:00 too few rows.
    for (const record of toRecords(rows(3000, 2), hour(10))) writer.add(record);
    await writer.flush();
    for (const record of toRecords(rows(3000, 3, 0.6), hour(12))) writer.add(record);
    await writer.flush();
    for (const record of toRecords(rows(200, 4), hour(14))) writer.add(record);
    await writer.close();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const run = (from: number, to: number, out: string) =>
    driftCheck({
      spec,
      store,
      environment: 'production',
      gitopsDir: join(dir, 'gitops'),
      from: hour(from),
      to: hour(to),
      outDir: join(dir, out),
    });

  it('reads exactly the rows of the window, across files', async () => {
    const window = await readCaptureWindow({
      store,
      model: 'flights',
      environment: 'production',
      from: hour(10),
      to: hour(11),
      features: FEATURES,
    });
    expect(window.dataset.numRows).toBe(3000);
    expect(window.files.length).toBe(5);
    const all = await readCaptureWindow({
      store,
      model: 'flights',
      environment: 'production',
      from: hour(9),
      to: hour(15),
      features: FEATURES,
    });
    expect(all.dataset.numRows).toBe(6200);
  });

  it('finds no drift in traffic like the training data', async () => {
    const result = await run(10, 11, 'same');
    expect(result.judged).toBe(true);
    expect(result.window.rows).toBe(3000);
    expect(result.features.map((f) => f.test)).toEqual(['wasserstein', 'wasserstein', 'jensenshannon']);
    expect(result.driftedFeatures).toEqual([]);
    expect(result.drifted).toBe(false);
    for (const f of result.features) expect(f.psi).toBeLessThan(0.05);
    expect(result.score.drifted).toBe(false);
  });

  it('flags shifted traffic, writes the report, JSON and summary', async () => {
    const result = await run(12, 13, 'shifted');
    expect(result.drifted).toBe(true);
    expect(result.driftShare).toBeGreaterThanOrEqual(0.5);
    expect(result.driftedFeatures).toContain('distance');
    const distance = result.features.find((f) => f.feature === 'distance')!;
    expect(distance.statistic).toBeGreaterThan(0.1);
    expect(distance.psiDrifted).toBe(true);
    const json = JSON.parse(await readFile(result.paths.json, 'utf8'));
    expect(json.drifted).toBe(true);
    const html = await readFile(result.paths.report, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('distance');
    const summary = await readFile(result.paths.summary, 'utf8');
    expect(summary).toMatch(/DRIFT: \d of 3 features drifted/);
  });

  it('does not judge a window smaller than drift.min_rows', async () => {
    const result = await run(14, 15, 'small');
    expect(result.window.rows).toBe(200);
    expect(result.judged).toBe(false);
    expect(result.drifted).toBe(false);
    expect(result.reason).toMatch(/min_rows/);
  });

  it('uses hypothesis tests on small windows when min_rows allows them', async () => {
    const small = { ...spec, drift: { ...spec.drift, min_rows: 100 } };
    const result = await driftCheck({
      spec: small,
      store,
      environment: 'production',
      gitopsDir: join(dir, 'gitops'),
      from: hour(14),
      to: hour(15),
      outDir: join(dir, 'small2'),
    });
    expect(result.features.map((f) => f.test)).toEqual(['ks', 'ks', 'chisquare']);
    expect(result.features.every((f) => f.pValue !== null && f.pValue > 0.001)).toBe(true);
  });

  it('lets PSI decide when mlship.yaml says stattest: psi', async () => {
    const psiSpec = parseSpec(
      SPEC.replace('drift: { min_rows: 500 }', 'drift: { min_rows: 500, stattest: psi, psi: 0.1 }'),
      'mlship.yaml',
    );
    const result = await driftCheck({
      spec: psiSpec,
      store,
      environment: 'production',
      gitopsDir: join(dir, 'gitops'),
      from: hour(12),
      to: hour(13),
      outDir: join(dir, 'psi'),
    });
    expect(result.features.map((f) => f.test)).toEqual(['psi', 'psi', 'psi']);
    for (const f of result.features) expect(f.drifted).toBe(f.psi >= 0.1);
  });

  it('rejects a profile whose bytes do not match the manifest', async () => {
    await store.put('runs/run-1/profile.json', '{"schema":1}');
    await expect(run(10, 11, 'bad')).rejects.toThrow(/sha256/);
  });
});
