import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addPredictionHead,
  addTreeEnsemble,
  assembleModel,
  declareRawInputs,
  GraphBuilder,
  type RawFeature,
} from '../../src/model/onnx/index.ts';
import { columnsFromRecords } from '../../src/serve/contract.ts';
import type { InferenceService } from '../../src/serve/service.ts';
import { writeFixtureEnv } from './fixture-model.ts';
import { serviceWith, tempDir } from './helpers.ts';

/**
 * The service on a model built the way the built-in trainers build theirs (src/model/onnx):
 * dictionary-encoded categoricals with set-membership splits, missing values, the binary head.
 */
const dictionary = ['ATL', 'LAS', 'SFO'];
const features: RawFeature[] = [
  { name: 'origin', kind: 'categorical', dictionary },
  { name: 'dep_hour', kind: 'numeric' },
];

function buildTreeModel(): Uint8Array {
  const graph = new GraphBuilder();
  const inputs = declareRawInputs(graph, features);
  const margins = addTreeEnsemble(graph, {
    inputs,
    features,
    numTargets: 1,
    baseValues: [-0.25],
    trees: [
      {
        target: 0,
        nodes: [
          {
            kind: 'categorical',
            feature: 0,
            leftCodes: [1, 2],
            numCategories: 3,
            missingLeft: false,
            left: 1,
            right: 2,
          },
          { kind: 'leaf', value: 1 },
          { kind: 'leaf', value: -1 },
        ],
      },
      {
        target: 0,
        nodes: [
          { kind: 'numeric', feature: 1, threshold: 12, missingLeft: true, left: 1, right: 2 },
          { kind: 'leaf', value: -0.5 },
          { kind: 'leaf', value: 0.5 },
        ],
      },
    ],
  });
  addPredictionHead(graph, margins, 'binary');
  return assembleModel(graph);
}

function expected(row: { origin: string | null; dep_hour: number | null }): number {
  const t1 = row.origin === 'LAS' || row.origin === 'SFO' ? 1 : -1;
  const t2 = row.dep_hour === null || row.dep_hour <= 12 ? -0.5 : 0.5;
  return 1 / (1 + Math.exp(-(-0.25 + t1 + t2)));
}

let service: InferenceService;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir();
  cleanup = temp.cleanup;
  const env = await writeFixtureEnv(temp.dir, { model: buildTreeModel() });
  service = serviceWith(env.manifestPath, env.remote, { workers: 1 });
  await service.start();
});
afterAll(async () => {
  await service?.close();
  await cleanup();
});

describe('serving a trainer-built tree model', () => {
  it('reads its contract from the model and scores categorical splits, unseen and missing values', async () => {
    expect(service.state).toBe('ready');
    expect(service.model!.contract.inputs).toEqual([
      { name: 'origin', type: 'string' },
      { name: 'dep_hour', type: 'float' },
    ]);
    const rows = [
      { origin: 'LAS', dep_hour: 8 },
      { origin: 'SFO', dep_hour: 18 },
      { origin: 'ATL', dep_hour: 13 },
      { origin: 'XYZ', dep_hour: 12 },
      { origin: null, dep_hour: null },
    ];
    const contract = service.model!.contract;
    const whole = await service.predict(columnsFromRecords(contract, rows, 'instances'), 'r');
    const singles = await Promise.all(
      rows.map((row, i) => service.predict(columnsFromRecords(contract, [row], 'instances'), `s${i}`)),
    );
    rows.forEach((row, i) => {
      expect(whole.scores[i]).toBeCloseTo(expected(row), 6);
      expect(whole.labels![i]).toBe(expected(row) > 0.5 ? 1 : 0);
      expect(singles[i].scores[0]).toBe(whole.scores[i]);
    });
  });
});
