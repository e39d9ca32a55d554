import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import type { Spec } from '../../src/config/spec.ts';
import { parseSpec } from '../../src/config/spec.ts';
import { toYaml } from '../../src/util/fs.ts';

/**
 * Small flights-like Parquet files for the train-step tests: months of rows where the delay depends
 * on the origin, the hour and the distance, with missing values in numerics and categoricals and, in
 * the test month, an origin never seen in training.
 */
const ORIGINS = ['ATL', 'ORD', 'DFW', 'LAX', 'DEN', 'SFO'];
const DESTINATIONS = ['JFK', 'BOS', 'SEA', 'MIA', 'PHX'];
const EFFECT: Record<string, number> = { ATL: 0.6, ORD: 0.9, DFW: -0.2, LAX: 0, DEN: -0.5, SFO: 0.3, XNA: 0 };

function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

export async function writeMonth(path: string, rows: number, seed: number, unseen = false): Promise<void> {
  const random = generator(seed);
  const origin: Array<string | null> = [];
  const destination: Array<string | null> = [];
  const distance: Array<number | null> = [];
  const depHour: Array<number | null> = [];
  const delayed: boolean[] = [];
  for (let i = 0; i < rows; i++) {
    const o = unseen && i % 10 === 0 ? 'XNA' : ORIGINS[Math.floor(random() * ORIGINS.length)];
    const d = DESTINATIONS[Math.floor(random() * DESTINATIONS.length)];
    const km = 200 + random() * 2500;
    const hour = Math.floor(random() * 24);
    const logit = -1.5 + EFFECT[o] + 0.12 * (hour - 12) + 0.0003 * (km - 1000);
    delayed.push(random() < 1 / (1 + Math.exp(-logit)));
    origin.push(i % 97 === 0 ? null : o);
    destination.push(d);
    distance.push(i % 53 === 0 ? null : km);
    depHour.push(hour);
  }
  parquetWriteFile({
    filename: path,
    columnData: [
      { name: 'origin', data: origin, type: 'STRING' },
      { name: 'destination', data: destination, type: 'STRING' },
      { name: 'distance', data: distance, type: 'DOUBLE' },
      { name: 'dep_hour', data: depHour, type: 'DOUBLE' },
      { name: 'delayed', data: delayed, type: 'BOOLEAN' },
    ],
  });
}

/** Writes data/m1..m3.parquet under `root` and returns a spec over them (train m1, m2; test m3). */
export async function syntheticProject(
  root: string,
  trainer: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  rows = 3000,
): Promise<{ spec: Spec; specPath: string }> {
  await mkdir(join(root, 'data'), { recursive: true });
  await writeMonth(join(root, 'data/m1.parquet'), rows, 1);
  await writeMonth(join(root, 'data/m2.parquet'), rows, 2);
  await writeMonth(join(root, 'data/m3.parquet'), rows, 3, true);
  const doc = {
    schema: 1,
    model: 'synthetic-delay',
    task: 'binary',
    data: { train: ['data/m1.parquet', 'data/m2.parquet'], test: ['data/m3.parquet'] },
    features: [
      { name: 'origin', kind: 'categorical' },
      { name: 'destination', kind: 'categorical' },
      { name: 'distance', kind: 'numeric' },
      { name: 'dep_hour', kind: 'numeric' },
    ],
    target: 'delayed',
    trainer,
    remote: '.mlship/remote',
    ...extra,
  };
  const specPath = join(root, 'mlship.yaml');
  await writeFile(specPath, toYaml(doc));
  return { spec: parseSpec(toYaml(doc), specPath), specPath };
}
