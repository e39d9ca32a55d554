import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import type { Profile } from '../../src/profile/profile.ts';
import { toYaml } from '../../src/util/fs.ts';

/**
 * A small ONNX model with the flights contract (origin and destination as string [N,1] inputs;
 * distance, dep_hour, day_of_week as float [N,1]; outputs `label` int64 and `probabilities`
 * [N,2]): per-airport encodings, NaN imputation and a two-class linear model. Built here so the
 * serving tests need no trained model; the real flights model has the same inputs and outputs.
 */
export const FEATURES = [
  { name: 'origin', kind: 'categorical' as const },
  { name: 'destination', kind: 'categorical' as const },
  { name: 'distance', kind: 'numeric' as const },
  { name: 'dep_hour', kind: 'numeric' as const },
  { name: 'day_of_week', kind: 'numeric' as const },
];

export const AIRPORTS = ['ATL', 'BOS', 'DEN', 'DFW', 'JFK', 'LAS', 'LAX', 'ORD', 'SEA', 'SFO'];

const { onnx } = onnxProto;
const A = onnx.AttributeProto.AttributeType;
const T = onnx.TensorProto.DataType;
const utf8 = (s: string) => new TextEncoder().encode(s);

function tensorInput(
  name: string,
  elemType: number,
  dims: Array<number | string>,
): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export function buildFixtureModel(): Uint8Array {
  const nodes: OnnxTypes.INodeProto[] = [];
  const encoded: string[] = [];
  for (const feature of FEATURES) {
    const out = `${feature.name}_f`;
    encoded.push(out);
    if (feature.kind === 'categorical') {
      nodes.push({
        opType: 'LabelEncoder',
        domain: 'ai.onnx.ml',
        input: [feature.name],
        output: [out],
        attribute: [
          { name: 'keys_strings', type: A.STRINGS, strings: AIRPORTS.map(utf8) },
          { name: 'values_floats', type: A.FLOATS, floats: AIRPORTS.map((_, i) => (i - 4.5) / 5) },
          { name: 'default_float', type: A.FLOAT, f: 0 },
        ],
      });
    } else {
      nodes.push({
        opType: 'Imputer',
        domain: 'ai.onnx.ml',
        input: [feature.name],
        output: [out],
        attribute: [
          { name: 'imputed_value_floats', type: A.FLOATS, floats: [0] },
          { name: 'replaced_value_float', type: A.FLOAT, f: Number.NaN },
        ],
      });
    }
  }
  nodes.push({
    opType: 'Concat',
    input: encoded,
    output: ['features'],
    attribute: [{ name: 'axis', type: A.INT, i: 1 }],
  });
  // Class 1 gets the weights, class 0 zeros: softmax then gives sigmoid(w.x + b) for class 1.
  const weights = [0.8, -0.5, 0.0004, 0.09, 0.05];
  nodes.push({
    opType: 'LinearClassifier',
    domain: 'ai.onnx.ml',
    input: ['features'],
    output: ['label', 'probabilities'],
    attribute: [
      { name: 'coefficients', type: A.FLOATS, floats: [0, 0, 0, 0, 0, ...weights] },
      { name: 'intercepts', type: A.FLOATS, floats: [0, -1.6] },
      { name: 'classlabels_ints', type: A.INTS, ints: [0, 1] },
      { name: 'post_transform', type: A.STRING, s: utf8('SOFTMAX') },
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'mlship-test',
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    graph: {
      name: 'fixture',
      node: nodes,
      input: FEATURES.map((f) =>
        tensorInput(f.name, f.kind === 'categorical' ? T.STRING : T.FLOAT, ['N', 1]),
      ),
      output: [tensorInput('label', T.INT64, ['N']), tensorInput('probabilities', T.FLOAT, ['N', 2])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Reference probability of class 1 for one row, computed independently of onnxruntime. */
export function expectedScore(row: Record<string, string | number | null>): number {
  const code = (v: unknown) => {
    const i = AIRPORTS.indexOf(v as string);
    return i < 0 ? 0 : (i - 4.5) / 5;
  };
  const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
  const z =
    -1.6 +
    0.8 * code(row.origin) -
    0.5 * code(row.destination) +
    0.0004 * num(row.distance) +
    0.09 * num(row.dep_hour) +
    0.05 * num(row.day_of_week);
  return 1 / (1 + Math.exp(-z));
}

/** A deterministic pseudo-random flights-like row. */
export function sampleRow(i: number): Record<string, string | number | null> {
  const r = (k: number) => ((i * 2654435761 + k * 40503) >>> 0) / 4294967296;
  return {
    origin: AIRPORTS[Math.floor(r(1) * AIRPORTS.length)],
    destination: AIRPORTS[Math.floor(r(2) * AIRPORTS.length)],
    distance: Math.round(100 + r(3) * 2400),
    dep_hour: Math.floor(r(4) * 24),
    day_of_week: Math.floor(r(5) * 7),
  };
}

export function fixtureProfile(): Profile {
  const categorical = (): Profile['features'][string] => ({
    kind: 'categorical',
    count: 1000,
    missing: 0,
    categories: Object.fromEntries(AIRPORTS.map((a) => [a, 100])),
    other: 0,
  });
  const numeric = (edges: number[]): Profile['features'][string] => ({
    kind: 'numeric',
    count: 1000,
    missing: 0,
    mean: 0,
    std: 1,
    min: 0,
    max: 1,
    edges,
    counts: new Array(edges.length + 1).fill(1000 / (edges.length + 1)),
    sample: [],
  });
  return {
    schema: 1,
    model: 'flight-delay',
    runId: 'fixture',
    rows: 1000,
    features: {
      origin: categorical(),
      destination: categorical(),
      distance: numeric([580, 1060, 1540, 2020]),
      dep_hour: numeric([5, 10, 15, 20]),
      day_of_week: numeric([1, 3, 5]),
    },
    score: numeric([0.2, 0.4, 0.6, 0.8]) as Profile['score'],
  };
}

export interface FixtureEnv {
  manifestPath: string;
  remote: string;
  sha256: string;
}

/**
 * Writes the model and profile into a store directory (content addressed, as `register` does) and
 * an environment manifest pinning them, as a promotion leaves it. Defaults: the fixture model and
 * profile, environment `staging`. `corrupt` pins a wrong checksum.
 */
export async function writeFixtureEnv(
  dir: string,
  options: { model?: Uint8Array; profile?: Uint8Array; environment?: string; corrupt?: boolean } = {},
): Promise<FixtureEnv> {
  const model = options.model ?? buildFixtureModel();
  const profile = options.profile ?? new TextEncoder().encode(JSON.stringify(fixtureProfile()));
  const environment = options.environment ?? 'staging';
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const remote = join(dir, 'remote');
  const modelKey = `models/flight-delay/${sha(model)}.onnx`;
  const profileKey = `models/flight-delay/${sha(profile)}.profile.json`;
  await mkdir(join(remote, 'models/flight-delay'), { recursive: true });
  await writeFile(join(remote, modelKey), model);
  await writeFile(join(remote, profileKey), profile);
  const manifestPath = join(dir, 'gitops/overlays', environment, 'model.yaml');
  await mkdir(join(dir, 'gitops/overlays', environment), { recursive: true });
  const pinned = options.corrupt ? sha(new TextEncoder().encode('something else')) : sha(model);
  await writeFile(
    manifestPath,
    toYaml({
      schema: 1,
      model: 'flight-delay',
      version: 3,
      environment,
      artifact: { uri: modelKey, sha256: pinned },
      profile: { uri: profileKey, sha256: sha(profile) },
    }),
  );
  return { manifestPath, remote, sha256: pinned };
}
