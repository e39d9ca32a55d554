import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { FeatureSpec, Spec } from '../../src/config/spec.ts';
import { parseSpec } from '../../src/config/spec.ts';
import { type ColumnarDataset, categoricalColumn, numericColumn } from '../../src/dataset/columnar.ts';
import { envManifestPath } from '../../src/gitops/manifest.ts';
import { modelKey, profileKey, runKey, sha256Hex, storeUri } from '../../src/registry/artifacts.ts';
import { writeLedger } from '../../src/registry/ledger-io.ts';
import type { RunRecord } from '../../src/runs/record.ts';
import { LocalStore } from '../../src/store/local-store.ts';
import { trainLinear } from '../../src/train/linear/index.ts';
import { signatureFor } from '../../src/train/signature.ts';
import { toYaml, writeFileAtomic } from '../../src/util/fs.ts';
import { createRegistryWorld } from './registry-world.ts';

/**
 * Real models on synthetic flights-like data for evaluate tests: linear models trained and exported
 * to ONNX by the project's own trainer, stored as runs, one optionally pinned as production's champion.
 */
export const FEATURES: FeatureSpec[] = [
  { name: 'origin', kind: 'categorical' },
  { name: 'distance', kind: 'numeric' },
];

export function syntheticFlights(
  rows: number,
  seed: number,
): { dataset: ColumnarDataset; labels: Float64Array } {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const dictionary = ['ATL', 'BOS', 'DEN', 'ORD', 'SFO'];
  const effect = [-1, -0.5, 0, 0.8, 1.2];
  const codes = new Int32Array(rows);
  const distance = new Float64Array(rows);
  const labels = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    codes[i] = Math.floor(random() * dictionary.length);
    distance[i] = 100 + random() * 2000;
    const logit = -1.5 + effect[codes[i]] + (distance[i] - 1000) / 600;
    labels[i] = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  return {
    dataset: {
      numRows: rows,
      columns: {
        origin: { kind: 'categorical', codes, dictionary },
        distance: { kind: 'numeric', values: distance },
      },
    },
    labels,
  };
}

export function testSpec(gates = 'gates:\n  min: { auc: 0.6 }\n  max_regression: { auc: 0.01 }\n'): Spec {
  return parseSpec(
    `schema: 1
model: flight-delay
task: binary
data: { train: [data/train.parquet], test: [data/test.parquet] }
features:
  - { name: origin, kind: categorical }
  - { name: distance, kind: numeric }
target: delayed
trainer: { type: linear }
${gates}drift: {}
`,
    'mlship.yaml',
  );
}

export async function createEvaluateWorld() {
  const root = await mkdtemp(join(tmpdir(), 'mlship-evaluate-'));
  const store = new LocalStore(join(root, 'remote'));
  return { root, store, gitopsDir: join(root, 'gitops') };
}

/** Trains a linear model (on shuffled labels when `noise`) and stores it as a run. */
export async function putTrainedRun(
  store: LocalStore,
  runId: string,
  options: { noise?: boolean; seed?: number } = {},
) {
  const { dataset, labels } = syntheticFlights(3000, options.seed ?? 1);
  if (options.noise) labels.reverse();
  const model = await trainLinear({
    features: FEATURES,
    task: 'binary',
    train: dataset,
    trainLabels: labels,
    params: {},
  });
  const signature = signatureFor(FEATURES, 'binary');
  const bytes = model.toOnnx(signature);
  const profile = JSON.stringify({ schema: 1, model: 'flight-delay', runId });
  const record: RunRecord = {
    schema: 1,
    runId,
    model: 'flight-delay',
    createdAt: '2026-01-01T00:00:00.000Z',
    trainer: { type: 'linear', params: model.params },
    features: FEATURES,
    target: 'delayed',
    signature,
    metrics: { validation: {}, test: {} },
    featureImportance: model.featureImportance(),
    data: { train: {}, test: {} },
    git: { commit: null, dirty: false },
    timings: {},
    environment: { node: process.version, platform: 'linux', arch: 'x64', cpus: 2, mlship: '0.1.0' },
    artifacts: {
      model: { sha256: sha256Hex(bytes), bytes: bytes.byteLength },
      profile: { sha256: sha256Hex(profile) },
    },
    rows: { train: 3000, validation: 0, test: 0 },
  };
  await store.put(runKey(runId, 'run.json'), JSON.stringify(record));
  await store.put(runKey(runId, 'model.onnx'), bytes);
  await store.put(runKey(runId, 'profile.json'), profile);
  return record;
}

/** Registers a stored run as version 1 and pins it in production, as register + promote would. */
export async function pinChampion(
  store: LocalStore,
  gitopsDir: string,
  run: RunRecord,
  options: { sha256?: string } = {},
) {
  const sha256 = run.artifacts.model.sha256;
  const bytes = await store.get(runKey(run.runId, 'model.onnx'));
  await store.put(modelKey(run.model, sha256), bytes);
  await store.put(profileKey(run.model, sha256), await store.get(runKey(run.runId, 'profile.json')));
  const artifact = { uri: storeUri(store, modelKey(run.model, sha256)), sha256, bytes: bytes.byteLength };
  const profile = {
    uri: storeUri(store, profileKey(run.model, sha256)),
    sha256: run.artifacts.profile.sha256,
  };
  await writeLedger(gitopsDir, {
    schema: 1,
    model: run.model,
    versions: [
      {
        version: 1,
        createdAt: '2026-01-01T00:00:00.000Z',
        runId: run.runId,
        artifact,
        profile,
        metrics: {},
        lineage: { commit: null, data: {}, params: {} },
        signature: run.signature,
      },
    ],
  });
  await writeFileAtomic(
    envManifestPath(gitopsDir, 'production'),
    toYaml({
      schema: 1,
      model: run.model,
      version: 1,
      environment: 'production',
      artifact: { uri: artifact.uri, sha256: options.sha256 ?? sha256 },
      profile,
    }),
  );
}

const PROJECT_SPEC = `schema: 1
model: flight-delay
task: binary
data: { train: [data/train.parquet], test: [data/test.parquet] }
features:
  - { name: origin, kind: categorical }
  - { name: distance, kind: numeric }
target: delayed
trainer: { type: linear }
gates:
  min: { auc: 0.6 }
remote: ../remote
`;

/**
 * A project as a user has it: a clone of a bare remote with mlship.yaml and held-out Parquet data,
 * the store beside it (remote: ../remote), and two trained runs in it: run-good and run-noise.
 */
export async function createEvaluateProject() {
  const world = await createRegistryWorld(1);
  const project = world.clones[0];
  await writeFile(join(project, 'mlship.yaml'), PROJECT_SPEC);
  const { dataset, labels } = syntheticFlights(1500, 42);
  const origin = categoricalColumn(dataset, 'origin');
  await mkdir(join(project, 'data'), { recursive: true });
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'origin', data: Array.from(origin.codes, (c) => origin.dictionary[c]), type: 'STRING' },
      { name: 'distance', data: Array.from(numericColumn(dataset, 'distance')), type: 'DOUBLE' },
      { name: 'delayed', data: Array.from(labels, (v) => v === 1), type: 'BOOLEAN' },
    ],
  });
  await writeFile(join(project, 'data', 'test.parquet'), new Uint8Array(buffer));
  await putTrainedRun(world.store, 'run-good');
  await putTrainedRun(world.store, 'run-noise', { noise: true });
  return { world, project };
}
