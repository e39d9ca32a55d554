import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { checkOnnxModel } from '../../../test/support/onnx-checker.ts';
import type { FeatureSpec } from '../../config/spec.ts';
import type { ColumnarDataset } from '../../dataset/columnar.ts';
import { scoreDataset } from '../../model/score.ts';
import { signatureFor } from '../signature.ts';
import { type LinearModel, trainLinear } from './index.ts';

const reference = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../../test/fixtures/linear/sklearn-reference.json'), 'utf8'),
);
const features: FeatureSpec[] = [
  { name: 'a', kind: 'numeric' },
  { name: 'b', kind: 'numeric' },
  { name: 'c', kind: 'categorical' },
];

function dataset(columns: { a: number[]; b: number[]; c: Array<string | null> }): ColumnarDataset {
  // A dictionary in first-seen order, unlike the model's sorted categories: predict must map by value.
  const dictionary: string[] = [];
  const codes = Int32Array.from(columns.c, (value) => {
    if (value === null) return -1;
    let code = dictionary.indexOf(value);
    if (code < 0) code = dictionary.push(value) - 1;
    return code;
  });
  return {
    numRows: columns.a.length,
    columns: {
      a: { kind: 'numeric', values: Float64Array.from(columns.a) },
      b: { kind: 'numeric', values: Float64Array.from(columns.b) },
      c: { kind: 'categorical', codes, dictionary },
    },
  };
}

const train = dataset(reference.train);
const test = dataset(reference.test);
const params = { l2: reference.l2, tolerance: 1e-10, max_iterations: 5000 };

// Held-out rows with every awkward case: unseen category, missing category, missing numerics.
const awkward = dataset({
  a: [9, Number.NaN, 11, 14, 3, 10],
  b: [1, 2, Number.NaN, 0.5, 8, Number.NaN],
  c: ['purple', null, 'red', 'green', 'blue', 'orange'],
});

async function runOnnx(model: Uint8Array, data: ColumnarDataset, output: string): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(model);
  const c = data.columns.c as { codes: Int32Array; dictionary: string[] };
  const a = data.columns.a as { values: Float64Array };
  const b = data.columns.b as { values: Float64Array };
  const n = data.numRows;
  const result = await session.run({
    a: new ort.Tensor('float32', Float32Array.from(a.values), [n, 1]),
    b: new ort.Tensor('float32', Float32Array.from(b.values), [n, 1]),
    c: new ort.Tensor(
      'string',
      Array.from(c.codes, (code) => (code < 0 ? '' : c.dictionary[code])),
      [n, 1],
    ),
  });
  return result[output];
}

describe('linear trainer against scikit-learn', () => {
  it('finds the same logistic regression coefficients as LogisticRegression(C=1/l2)', async () => {
    const model = (await trainLinear({
      features,
      task: 'binary',
      train,
      trainLabels: Float64Array.from(reference.train.binary),
      params,
    })) as LinearModel;
    const expected = reference.binary;
    expect(model.intercept()).toBeCloseTo(expected.intercept, 5);
    expect(model.coefficient('a')).toBeCloseTo(expected.a, 5);
    expect(model.coefficient('b')).toBeCloseTo(expected.b, 5);
    for (const [category, weight] of Object.entries(expected.c)) {
      expect(model.coefficient('c', category)).toBeCloseTo(weight as number, 5);
    }
    const predicted = model.predict(test);
    expected.testProbability.forEach((p: number, i: number) => {
      expect(predicted[i]).toBeCloseTo(p, 6);
    });
  });

  it('finds the same ridge regression as Ridge(alpha=l2)', async () => {
    const model = (await trainLinear({
      features,
      task: 'regression',
      train,
      trainLabels: Float64Array.from(reference.train.value),
      params,
    })) as LinearModel;
    const expected = reference.regression;
    expect(model.intercept()).toBeCloseTo(expected.intercept, 4);
    expect(model.coefficient('a')).toBeCloseTo(expected.a, 4);
    for (const [category, weight] of Object.entries(expected.c)) {
      expect(model.coefficient('c', category)).toBeCloseTo(weight as number, 4);
    }
    const predicted = model.predict(test);
    expected.testValue.forEach((v: number, i: number) => {
      expect(predicted[i]).toBeCloseTo(v, 4);
    });
  });

  for (const solver of ['newton', 'lbfgs']) {
    it(`matches multinomial LogisticRegression probabilities (${solver})`, async () => {
      const model = await trainLinear({
        features,
        task: 'multiclass',
        train,
        trainLabels: Float64Array.from(reference.train.three),
        params: { ...params, solver },
      });
      expect(model.params.converged).toBe(true);
      const predicted = model.predict(test);
      (reference.multiclass.testProbabilities as number[][]).flat().forEach((p, i) => {
        expect(predicted[i]).toBeCloseTo(p, 5);
      });
    });
  }

  it('L-BFGS reaches the same logistic regression as Newton', async () => {
    const model = (await trainLinear({
      features,
      task: 'binary',
      train,
      trainLabels: Float64Array.from(reference.train.binary),
      params: { ...params, solver: 'lbfgs' },
    })) as LinearModel;
    expect(model.params.converged).toBe(true);
    expect(model.intercept()).toBeCloseTo(reference.binary.intercept, 5);
    for (const [category, weight] of Object.entries(reference.binary.c)) {
      expect(model.coefficient('c', category)).toBeCloseTo(weight as number, 5);
    }
  });
});

describe('linear ONNX export', () => {
  for (const [task, labels] of [
    ['binary', reference.train.binary],
    ['multiclass', reference.train.three],
    ['regression', reference.train.value],
  ] as const) {
    it(`${task}: onnxruntime equals predict (1e-5) incl. unseen and missing, and the checker accepts it`, async () => {
      const model = await trainLinear({
        features,
        task,
        train,
        trainLabels: Float64Array.from(labels),
        params,
      });
      const classes = task === 'multiclass' ? 3 : 2;
      const signature = signatureFor(features, task, classes);
      const onnx = model.toOnnx(signature);
      await checkOnnxModel(onnx);
      for (const data of [train, awkward]) {
        const expected = model.predict(data);
        const scored = await scoreDataset(onnx, data, signature);
        expect(scored.length).toBe(expected.length);
        for (let i = 0; i < expected.length; i++) {
          // Regression values are in the target's units (tens): compare relative to their size.
          const tolerance = task === 'regression' ? 1e-5 * Math.max(1, Math.abs(expected[i])) : 1e-5;
          expect(Math.abs(scored[i] - expected[i])).toBeLessThan(tolerance);
        }
        if (task !== 'regression') {
          const label = await runOnnx(onnx, data, 'label');
          const k = task === 'binary' ? 1 : classes;
          for (let i = 0; i < data.numRows; i++) {
            const row = Array.from(expected.subarray(i * k, (i + 1) * k));
            const want = task === 'binary' ? Number(row[0] > 0.5) : row.indexOf(Math.max(...row));
            expect(Number(label.data[i])).toBe(want);
          }
        }
      }
    });
  }

  it('gives an unseen category the same score as a missing one (all-zero one-hot)', async () => {
    const model = await trainLinear({
      features,
      task: 'binary',
      train,
      trainLabels: Float64Array.from(reference.train.binary),
      params,
    });
    const twin = dataset({ a: [10, 10], b: [2, 2], c: ['never-seen', null] });
    const scores = await scoreDataset(
      model.toOnnx(signatureFor(features, 'binary')),
      twin,
      signatureFor(features, 'binary'),
    );
    expect(scores[0]).toBeCloseTo(scores[1], 7);
  });
});
