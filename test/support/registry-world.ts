import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import type { EvaluationRecord } from '../../src/evaluate/types.ts';
import { runKey, sha256Hex } from '../../src/registry/artifacts.ts';
import type { RunRecord } from '../../src/runs/record.ts';
import { LocalStore } from '../../src/store/local-store.ts';

/**
 * A small real world for registry tests: a bare "origin", clones of it with gitops/ committed,
 * and a local store holding fabricated runs (any bytes do as a model: register never parses it).
 */
export async function createRegistryWorld(clones: number) {
  const root = await mkdtemp(join(tmpdir(), 'mlship-registry-'));
  const origin = join(root, 'origin.git');
  await simpleGit().init(['--bare', '--initial-branch=main', origin]);
  const seed = join(root, 'seed');
  await mkdir(join(seed, 'gitops', 'registry'), { recursive: true });
  await writeFile(join(seed, 'gitops', 'registry', '.gitkeep'), '');
  const seedGit = simpleGit(seed);
  await seedGit.init(['--initial-branch=main']);
  await identify(seed);
  await seedGit.add('.');
  await seedGit.commit('Seed');
  await seedGit.addRemote('origin', origin);
  await seedGit.push('origin', 'main');
  const dirs: string[] = [];
  for (let i = 0; i < clones; i++) {
    const dir = join(root, `clone-${i}`);
    await simpleGit().clone(origin, dir);
    await identify(dir);
    dirs.push(dir);
  }
  const store = new LocalStore(join(root, 'remote'));
  return { root, origin, clones: dirs, store };
}

async function identify(dir: string) {
  const git = simpleGit(dir);
  await git.addConfig('user.name', 'mlship test');
  await git.addConfig('user.email', 'test@mlship.invalid');
  await git.addConfig('commit.gpgsign', 'false');
  await git.addConfig('tag.gpgsign', 'false');
}

export async function putFakeRun(
  store: LocalStore,
  runId: string,
  options: { model?: string; evaluation?: 'passed' | 'failed' | 'none'; auc?: number } = {},
) {
  const model = options.model ?? 'flight-delay';
  const modelBytes = new TextEncoder().encode(`fake onnx of ${runId}`);
  const profileBytes = JSON.stringify({ schema: 1, model, runId, rows: 1, features: {} });
  const sha256 = sha256Hex(modelBytes);
  const record: RunRecord = {
    schema: 1,
    runId,
    model,
    createdAt: '2026-01-01T00:00:00.000Z',
    trainer: { type: 'linear', params: { l2: 1 } },
    features: [{ name: 'distance', kind: 'numeric' }],
    target: 'delayed',
    signature: {
      task: 'binary',
      inputs: [{ name: 'distance', kind: 'numeric', type: 'float' }],
      outputs: [
        { name: 'probabilities', type: 'float', shape: [-1, 2] },
        { name: 'label', type: 'int64', shape: [-1] },
      ],
      classes: [0, 1],
    },
    metrics: { validation: { auc: 0.7 }, test: { auc: options.auc ?? 0.7 } },
    data: { train: { 'data/a.parquet': 'a'.repeat(32) }, test: { 'data/b.parquet': 'b'.repeat(32) } },
    git: { commit: null, dirty: false },
    timings: {},
    environment: { node: process.version, platform: 'linux', arch: 'x64', cpus: 2, mlship: '0.1.0' },
    artifacts: {
      model: { sha256, bytes: modelBytes.byteLength },
      profile: { sha256: sha256Hex(profileBytes) },
    },
    rows: { train: 1, validation: 1, test: 1 },
  };
  await store.put(runKey(runId, 'run.json'), JSON.stringify(record));
  await store.put(runKey(runId, 'model.onnx'), modelBytes);
  await store.put(runKey(runId, 'profile.json'), profileBytes);
  if ((options.evaluation ?? 'passed') !== 'none') {
    const passed = options.evaluation !== 'failed';
    const evaluation: EvaluationRecord = {
      schema: 1,
      model,
      runId,
      sha256,
      createdAt: '2026-01-01T00:00:00.000Z',
      task: 'binary',
      passed,
      rows: 1,
      testData: ['data/b.parquet'],
      metrics: { auc: options.auc ?? 0.7 },
      champion: null,
      deltas: {},
      gates: [
        {
          metric: 'auc',
          gate: 'min',
          limit: 0.65,
          actual: options.auc ?? 0.7,
          status: passed ? 'pass' : 'fail',
          margin: 0,
          detail: passed ? 'auc is at least 0.65' : 'auc 0.6 is below the minimum 0.65 by 0.05',
        },
      ],
      reportKey: runKey(runId, 'report.html'),
    };
    await store.put(runKey(runId, 'evaluation.json'), JSON.stringify(evaluation));
  }
  return { sha256, modelBytes };
}
