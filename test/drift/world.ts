/**
 * A small project on disk for the doors (CLI, action): mlship.yaml with a local remote, a
 * reference profile in the store, the environment manifest pinning it, and one capture file of
 * shifted traffic on 2001-06-03.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { captureKey } from '../../src/capture/format.ts';
import { buildProfile } from '../../src/profile/build.ts';
import { LocalStore } from '../../src/store/local-store.ts';
import { toYaml } from '../../src/util/fs.ts';
import { FEATURES, rows, toDataset, toRecords } from './synthetic.ts';

/** The traffic captured on 2001-06-03 (with its outcomes, which the service never saw). */
export const CAPTURED = rows(2000, 22, 0.7);

export async function makeProject(dir: string, environment = 'staging'): Promise<void> {
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
  await mkdir(join(dir, `gitops/overlays/${environment}`), { recursive: true });
  await writeFile(
    join(dir, `gitops/overlays/${environment}/model.yaml`),
    toYaml({
      schema: 1,
      model: 'flights',
      version: 2,
      environment,
      artifact: { uri: 'models/flights/a.onnx', sha256: sha('a') },
      profile: { uri: 'runs/run-7/profile.json', sha256: sha(profile) },
    }),
  );
  const start = new Date('2001-06-03T00:00:00Z');
  const records = toRecords(CAPTURED, start);
  await store.put(
    captureKey('flights', environment, start, 'pod', 0),
    gzipSync(records.map((r) => JSON.stringify(r)).join('\n')),
  );
}
