import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { checkOnnxModel } from '../../../test/support/onnx-checker.ts';
import {
  addPredictionHead,
  addRawFeatureInputs,
  addTreeEnsemble,
  assembleModel,
  attr,
  declareRawInputs,
  GraphBuilder,
  predictionOutputs,
  type Tree,
} from './index.ts';

const features = [
  { name: 'city', kind: 'categorical' as const, dictionary: ['a', 'b', 'c', 'd'] },
  { name: 'x', kind: 'numeric' as const },
];
// Rows cover every category, a missing category (''), an unseen one and missing numerics.
const cities = ['a', 'b', 'c', 'd', '', 'zz', 'b', 'c'];
const xs = [0, 0, 0, 1, 0, 0, Number.NaN, Number.NaN];

async function run(model: Uint8Array, outputs?: string[]) {
  const session = await ori(model);
  const n = cities.length;
  const feeds = {
    city: new ort.Tensor('string', cities, [n, 1]),
    x: new ort.Tensor('float32', Float32Array.from(xs), [n, 1]),
  };
  return outputs ? session.run(feeds, outputs) : session.run(feeds);
}
const ori = (model: Uint8Array) => ort.InferenceSession.create(model);

describe('addRawFeatureInputs', () => {
  it('encodes categoricals as training codes, unseen and missing as NaN, numerics as given', async () => {
    const graph = new GraphBuilder();
    const encoded = addRawFeatureInputs(graph, features);
    graph.addOutput(encoded.matrix, 'float', ['N', 2]);
    const model = assembleModel(graph);
    await checkOnnxModel(model);
    const out = await run(model);
    expect(Array.from(out[encoded.matrix].data as Float32Array)).toEqual([
      0,
      0,
      1,
      0,
      2,
      0,
      3,
      1,
      Number.NaN,
      0,
      Number.NaN,
      0,
      1,
      Number.NaN,
      2,
      Number.NaN,
    ]);
    expect(graph.inputs.map((input) => input.name)).toEqual(['city', 'x']);
  });

  it('rejects a dictionary that repeats a value', () => {
    expect(() =>
      addRawFeatureInputs(new GraphBuilder(), [{ name: 'c', kind: 'categorical', dictionary: ['a', 'a'] }]),
    ).toThrow(/repeats/);
  });
});

describe('addTreeEnsemble', () => {
  // Tree 1: city in {b, d} -> 1, else x <= 0.5 (missing left) -> 10, else 100.
  // Tree 2: city in {a} or missing/unseen -> 1000, else 10000. Tree 3: a lone leaf, 0.25.
  const trees: Tree[] = [
    {
      target: 0,
      nodes: [
        {
          kind: 'categorical',
          feature: 0,
          leftCodes: [3, 1],
          numCategories: 4,
          missingLeft: false,
          left: 1,
          right: 2,
        },
        { kind: 'leaf', value: 1 },
        { kind: 'numeric', feature: 1, threshold: 0.5, missingLeft: true, left: 3, right: 4 },
        { kind: 'leaf', value: 10 },
        { kind: 'leaf', value: 100 },
      ],
    },
    {
      target: 0,
      nodes: [
        {
          kind: 'categorical',
          feature: 0,
          leftCodes: [0],
          numCategories: 4,
          missingLeft: true,
          left: 1,
          right: 2,
        },
        { kind: 'leaf', value: 1000 },
        { kind: 'leaf', value: 10000 },
      ],
    },
    { target: 0, nodes: [{ kind: 'leaf', value: 0.25 }] },
  ];
  const expected = [1010.25, 10001.25, 10010.25, 10001.25, 1010.25, 1010.25, 10001.25, 10010.25];

  it('sums trees with categorical set splits and learned missing directions', async () => {
    const graph = new GraphBuilder();
    const inputs = declareRawInputs(graph, features);
    const scores = addTreeEnsemble(graph, { inputs, features, trees, numTargets: 1, baseValues: [0] });
    graph.addOutput(scores, 'float', ['N', 1]);
    const model = assembleModel(graph);
    await checkOnnxModel(model);
    const out = await run(model);
    expect(Array.from(out[scores].data as Float32Array)).toEqual(expected);
  });

  it('adds the base value and routes trees to their targets', async () => {
    const graph = new GraphBuilder();
    const inputs = declareRawInputs(graph, features);
    const scores = addTreeEnsemble(graph, {
      inputs,
      features,
      trees: [trees[0], { ...trees[1], target: 1 }],
      numTargets: 2,
      baseValues: [0.5, -0.5],
    });
    graph.addOutput(scores, 'float', ['N', 2]);
    const out = await run(assembleModel(graph));
    const data = Array.from(out[scores].data as Float32Array);
    const target0 = [10.5, 1.5, 10.5, 1.5, 10.5, 10.5, 1.5, 10.5];
    const target1 = [999.5, 9999.5, 9999.5, 9999.5, 999.5, 999.5, 9999.5, 9999.5];
    expect(data).toEqual(target0.flatMap((value, row) => [value, target1[row]]));
  });
});

describe('addPredictionHead', () => {
  function modelFor(task: 'binary' | 'multiclass' | 'regression', k: number) {
    const graph = new GraphBuilder();
    const inputs = declareRawInputs(graph, features);
    // A one-split tree per target: missing x -> -1 on target t, else x + t.
    const trees: Tree[] = Array.from({ length: k }, (_, t) => ({
      target: t,
      nodes: [
        { kind: 'numeric', feature: 1, threshold: 0.5, missingLeft: false, left: 1, right: 2 },
        { kind: 'leaf', value: t * 0.5 },
        { kind: 'leaf', value: 2 - t },
      ],
    }));
    const margins = addTreeEnsemble(graph, {
      inputs,
      features,
      trees,
      numTargets: k,
      baseValues: Array(k).fill(0),
    });
    addPredictionHead(graph, margins, task, k);
    return assembleModel(graph);
  }

  it('binary: probabilities [1 - p, p] with p = sigmoid(margin), label p > 0.5', async () => {
    const model = modelFor('binary', 1);
    await checkOnnxModel(model);
    const out = await run(model);
    const probabilities = out.probabilities.data as Float32Array;
    const labels = Array.from(out.label.data as BigInt64Array, Number);
    expect(out.probabilities.dims).toEqual([cities.length, 2]);
    expect(probabilities[0]).toBeCloseTo(0.5, 6); // margin 0: tie goes to class 0
    expect(probabilities[3 * 2 + 1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(probabilities[3 * 2]).toBeCloseTo(1 - 1 / (1 + Math.exp(-2)), 6);
    expect(labels).toEqual([0, 0, 0, 1, 0, 0, 1, 1]);
  });

  it('multiclass: softmax probabilities and argmax label', async () => {
    const model = modelFor('multiclass', 3);
    await checkOnnxModel(model);
    const out = await run(model);
    expect(out.probabilities.dims).toEqual([cities.length, 3]);
    const p = out.probabilities.data as Float32Array;
    const z = [0, 0.5, 1];
    const sum = z.reduce((a, b) => a + Math.exp(b), 0);
    z.forEach((value, i) => {
      expect(p[i]).toBeCloseTo(Math.exp(value) / sum, 6);
    });
    expect(Array.from(out.label.data as BigInt64Array, Number)).toEqual([2, 2, 2, 0, 2, 2, 0, 0]);
  });

  it('regression: value [N]', async () => {
    const model = modelFor('regression', 1);
    await checkOnnxModel(model);
    const out = await run(model);
    expect(out.value.dims).toEqual([cities.length]);
    expect(Array.from(out.value.data as Float32Array)).toEqual([0, 0, 0, 2, 0, 0, 2, 2]);
    expect(predictionOutputs('regression')).toEqual([{ name: 'value', type: 'float', shape: [-1] }]);
  });
});

describe('categorical splits over many categories', () => {
  // 140 categories: three block columns of 63 inside the graph. Every kind of set: small, large
  // (written as its complement), spanning blocks, a whole block, with missing values going either way.
  const categories = 140;
  const dictionary = Array.from({ length: categories }, (_, i) => `k${i}`);
  const sets = [
    [0],
    [62, 63, 64],
    [5, 70, 139],
    Array.from({ length: 63 }, (_, i) => i + 63),
    Array.from({ length: 120 }, (_, i) => i + 5),
    Array.from({ length: 139 }, (_, i) => i + 1),
    Array.from({ length: categories }, (_, i) => i),
    [],
  ];

  it('routes every category, missing and unseen values as the tree says', async () => {
    const feature = [{ name: 'k', kind: 'categorical' as const, dictionary }];
    const trees: Tree[] = [];
    const cases: Array<{ left: Set<number>; missingLeft: boolean }> = [];
    for (const set of sets) {
      for (const missingLeft of [false, true]) {
        cases.push({ left: new Set(set), missingLeft });
        trees.push({
          target: trees.length,
          nodes: [
            {
              kind: 'categorical',
              feature: 0,
              leftCodes: set,
              numCategories: categories,
              missingLeft,
              left: 1,
              right: 2,
            },
            { kind: 'leaf', value: 1 },
            { kind: 'leaf', value: -1 },
          ],
        });
      }
    }
    const graph = new GraphBuilder();
    const inputs = declareRawInputs(graph, feature);
    const scores = addTreeEnsemble(graph, {
      inputs,
      features: feature,
      trees,
      numTargets: trees.length,
      baseValues: trees.map(() => 0),
    });
    graph.addOutput(scores, 'float', ['N', trees.length]);
    const model = assembleModel(graph);
    await checkOnnxModel(model);
    const values = [...dictionary, '', 'never-seen'];
    const session = await ori(model);
    const out = await session.run({ k: new ort.Tensor('string', values, [values.length, 1]) });
    const data = out[scores].data as Float32Array;
    values.forEach((_, row) => {
      cases.forEach(({ left, missingLeft }, t) => {
        const goesLeft = row < categories ? left.has(row) : missingLeft;
        expect(data[row * trees.length + t], `row ${values[row]}, tree ${t}`).toBe(goesLeft ? 1 : -1);
      });
    });
  });
});

describe('assembleModel', () => {
  it('writes what protobufjs would, read back field for field', async () => {
    const { onnx } = (await import('onnx-proto')).default;
    const graph = new GraphBuilder();
    const inputs = declareRawInputs(graph, features);
    const scores = addTreeEnsemble(graph, {
      inputs,
      features,
      trees: [
        {
          target: 0,
          nodes: [
            { kind: 'numeric', feature: 1, threshold: 0.25, missingLeft: true, left: 1, right: 2 },
            { kind: 'leaf', value: -1.5 },
            { kind: 'leaf', value: 2 },
          ],
        },
      ],
      numTargets: 1,
      baseValues: [0.5],
    });
    addPredictionHead(graph, scores, 'binary');
    graph.addNode(
      'Gather',
      [scores, graph.addConstant('index', 'int64', [1], [-1])],
      ['negative_index'],
      [attr.int('axis', -1), attr.ints('unused', [-3, 5])],
    );
    const bytes = assembleModel(graph, { metadata: { k: 'v' } });
    const options = { longs: Number, bytes: String };
    const ours = onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), options);
    expect(ours.graph.node).toEqual(
      graph.nodes.map((node) => onnx.NodeProto.toObject(onnx.NodeProto.fromObject(node), options)),
    );
    expect(ours.graph.initializer).toEqual(
      graph.initializers.map((t) => onnx.TensorProto.toObject(onnx.TensorProto.fromObject(t), options)),
    );
    expect(ours.graph.input.map((input: { name: string }) => input.name)).toEqual(['city', 'x']);
    expect(ours.opsetImport).toEqual([
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ]);
    expect(ours.metadataProps).toEqual([{ key: 'k', value: 'v' }]);
  });
});
