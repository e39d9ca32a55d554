import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureKey } from '../../src/capture/format.ts';
import { buildProfile } from '../../src/profile/build.ts';
import { LocalStore } from '../../src/store/local-store.ts';
import { toYaml } from '../../src/util/fs.ts';
import { FEATURES, rows, toDataset, toRecords } from './synthetic.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

describe('mlship drift-check (CLI)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlship-drift-cli-'));
    await writeFile(
      join(dir, 'mlship.yaml'),
      `schema: 1
model: flights
task: binary
data: { train: [a.parquet], test: [b.parquet] }
features:
  - { name: distance, kind: numeric }
  - { name: dep_hour, kind: numeric }
  - { name: origin, kind: categorical }
target: delayed
trainer: { type: gbdt }
remote: remote
`,
    );
    const store = new LocalStore(join(dir, 'remote'));
    const reference = toDataset(rows(10_000, 21));
    const profile = JSON.stringify(
      buildProfile({
        model: 'flights',
        runId: 'run-7',
        dataset: reference.dataset,
        features: FEATURES,
        scores: reference.scores,
      }),
    );
    await store.put('runs/run-7/profile.json', profile);
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    await mkdir(join(dir, 'gitops/overlays/staging'), { recursive: true });
    await writeFile(
      join(dir, 'gitops/overlays/staging/model.yaml'),
      toYaml({
        schema: 1,
        model: 'flights',
        version: 2,
        environment: 'staging',
        artifact: { uri: 'models/flights/a.onnx', sha256: sha('a') },
        profile: { uri: 'runs/run-7/profile.json', sha256: sha(profile) },
      }),
    );
    const start = new Date('2001-06-03T00:00:00Z');
    const records = toRecords(rows(2000, 22, 0.7), start);
    await store.put(
      captureKey('flights', 'staging', start, 'pod', 0),
      gzipSync(records.map((r) => JSON.stringify(r)).join('\n')),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints the drift table, writes the report and exits 3 with --fail-on-drift', async () => {
    const cli = join(root, 'src/cli/main.ts');
    const tsx = join(root, 'node_modules/.bin/tsx');
    const error = await run(
      tsx,
      [cli, 'drift-check', '-e', 'staging', '--month', '2001-06', '--fail-on-drift'],
      { cwd: dir },
    ).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(error?.code).toBe(3);
    expect(error?.stdout).toMatch(/DRIFTED: \d of 3 features/);
    expect(error?.stdout).toMatch(/distance\s+wasserstein/);
    expect(error?.stdout).toContain('report: .mlship/drift/report.html');

    const { stdout } = await run(
      tsx,
      [cli, 'drift-check', '-e', 'staging', '--from', '2001-06-01', '--to', '2001-06-02', '--json'],
      {
        cwd: dir,
      },
    );
    const json = JSON.parse(stdout);
    expect(json.window.rows).toBe(0);
    expect(json.judged).toBe(false);
  });
});
