import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { checkOnnxModel } from '../../../test/support/onnx-checker.ts';
import type { FeatureSpec } from '../../config/spec.ts';
import type { ColumnarDataset } from '../../dataset/columnar.ts';
import { UserError } from '../../errors.ts';
import { rocAuc } from '../../metrics/binary.ts';
import { signatureFor } from '../signature.ts';
import type { TrainInput } from '../trainer.ts';
import { type GbdtModel, parseGbdtParams, trainGbdt } from './index.ts';

const FEATURES: FeatureSpec[] = [
  { name: 'city', kind: 'categorical' },
  { name: 'x', kind: 'numeric' },
  { name: 'noise', kind: 'numeric' },
];
const CITIES = Array.from({ length: 40 }, (_, i) => `city-${i}`);
/** Cities that raise the target: not a contiguous range of codes, so ordinal splits cannot find them. */
const HOT = new Set([3, 7, 11, 20, 21, 33]);

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/**
 * Rows with a categorical and a numeric signal, missing values in both (5%), a noise column and,
 * with `unseen`, cities the training dictionary does not have. The signal is a score; the task
 * decides how it becomes a label.
 */
function synthetic(rows: number, seed: number, task: TrainInput['task'], unseen = false) {
  const rnd = random(seed);
  const dictionary = unseen ? [...CITIES, 'city-new-1', 'city-new-2'] : CITIES;
  const codes = new Int32Array(rows);
  const x = new Float64Array(rows);
  const noise = new Float64Array(rows);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    codes[r] = rnd() < 0.05 ? -1 : Math.floor(rnd() * dictionary.length);
    x[r] = rnd() < 0.05 ? Number.NaN : rnd() * 10;
    noise[r] = rnd();
    const cityEffect = codes[r] < 0 ? 0.8 : HOT.has(codes[r]) ? 1.5 : -0.5;
    const xEffect = Number.isNaN(x[r]) ? 1.2 : Math.sin(x[r]);
    const score = cityEffect + xEffect;
    if (task === 'binary') labels[r] = rnd() < 1 / (1 + Math.exp(-2 * score)) ? 1 : 0;
    else if (task === 'multiclass')
      labels[r] = score + rnd() * 0.8 < 0 ? 0 : score + rnd() * 0.8 < 1.2 ? 1 : 2;
    else labels[r] = 3 * score + rnd() * 0.5;
  }
  const dataset: ColumnarDataset = {
    numRows: rows,
    columns: {
      city: { kind: 'categorical', codes, dictionary },
      x: { kind: 'numeric', values: x },
      noise: { kind: 'numeric', values: noise },
    },
  };
  return { dataset, labels };
}

/** Runs the exported model on a data set through onnxruntime-node, raw columns in. */
async function runOnnx(model: Uint8Array, dataset: ColumnarDataset) {
  const session = await ort.InferenceSession.create(model);
  const n = dataset.numRows;
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, column] of Object.entries(dataset.columns)) {
    feeds[name] =
      column.kind === 'numeric'
        ? new ort.Tensor('float32', Float32Array.from(column.values), [n, 1])
        : new ort.Tensor(
            'string',
            Array.from(column.codes, (code) => (code < 0 ? '' : column.dictionary[code])),
            [n, 1],
          );
  }
  const out = await session.run(feeds);
  await session.release();
  return out;
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

async function train(task: TrainInput['task'], params: TrainInput['params'], rows = 6000, seed = 1) {
  const { dataset, labels } = synthetic(rows, seed, task);
  return (await trainGbdt({
    features: FEATURES,
    task,
    train: dataset,
    trainLabels: labels,
    params,
  })) as GbdtModel;
}

describe('gradient-boosted trees', () => {
  it('binary: onnxruntime equals predict() on held-out rows with unseen categories and missing values', async () => {
    const model = await train('binary', { trees: 40, depth: 4, learning_rate: 0.2, seed: 3 });
    const test = synthetic(3000, 2, 'binary', true);
    const scores = model.predict(test.dataset);
    expect(rocAuc(test.labels, scores)).toBeGreaterThan(0.75);

    const onnx = model.toOnnx(signatureFor(FEATURES, 'binary'));
    await checkOnnxModel(onnx);
    const out = await runOnnx(onnx, test.dataset);
    expect(out.probabilities.dims).toEqual([3000, 2]);
    const probabilities = out.probabilities.data as Float32Array;
    const positive = Array.from({ length: 3000 }, (_, r) => probabilities[r * 2 + 1]);
    const negative = Array.from({ length: 3000 }, (_, r) => probabilities[r * 2]);
    expect(maxAbsDifference(positive, scores)).toBeLessThan(1e-5);
    expect(
      maxAbsDifference(
        negative,
        Array.from(scores, (p) => 1 - p),
      ),
    ).toBeLessThan(1e-5);
    const labels = Array.from(out.label.data as BigInt64Array, Number);
    const expected = Array.from(scores, (p) => (p > 0.5 ? 1 : 0));
    // Only rows within float rounding of 0.5 may disagree; the data has none.
    expect(labels).toEqual(expected);
    // The held-out rows do exercise the unseen and missing paths.
    const city = test.dataset.columns.city;
    expect(city.kind === 'categorical' && city.codes.some((code) => code >= CITIES.length)).toBe(true);
    expect(city.kind === 'categorical' && city.codes.some((code) => code < 0)).toBe(true);
  });

  it('multiclass: softmax probabilities [N, K] and argmax labels equal predict()', async () => {
    const model = await train('multiclass', { trees: 25, depth: 3, learning_rate: 0.3 });
    const test = synthetic(2000, 5, 'multiclass', true);
    const scores = model.predict(test.dataset);
    const onnx = model.toOnnx(signatureFor(FEATURES, 'multiclass', 3));
    await checkOnnxModel(onnx);
    const out = await runOnnx(onnx, test.dataset);
    expect(out.probabilities.dims).toEqual([2000, 3]);
    expect(maxAbsDifference(out.probabilities.data as Float32Array, scores)).toBeLessThan(1e-5);
    const labels = Array.from(out.label.data as BigInt64Array, Number);
    let correct = 0;
    labels.forEach((label, r) => {
      const row = Array.from(scores.subarray(r * 3, r * 3 + 3));
      expect(label).toBe(row.indexOf(Math.max(...row)));
      if (label === test.labels[r]) correct++;
    });
    expect(correct / 2000).toBeGreaterThan(0.55);
  });

  it('regression: value equals predict() and fits the signal', async () => {
    const model = await train('regression', { trees: 60, depth: 4, learning_rate: 0.2, subsample: 0.8 });
    const test = synthetic(2000, 6, 'regression', true);
    const values = model.predict(test.dataset);
    const onnx = model.toOnnx(signatureFor(FEATURES, 'regression'));
    await checkOnnxModel(onnx);
    const out = await runOnnx(onnx, test.dataset);
    expect(out.value.dims).toEqual([2000]);
    expect(maxAbsDifference(out.value.data as Float32Array, values)).toBeLessThan(1e-4);
    let squared = 0;
    let variance = 0;
    const mean = test.labels.reduce((a, b) => a + b, 0) / 2000;
    test.labels.forEach((y, r) => {
      squared += (y - values[r]) ** 2;
      variance += (y - mean) ** 2;
    });
    expect(1 - squared / variance).toBeGreaterThan(0.9);
  });

  it('finds a non-contiguous set of categories in one split (native categorical splits)', async () => {
    const model = await train('binary', { trees: 1, depth: 1, learning_rate: 1, lambda: 0 }, 20_000);
    const codes = Int32Array.from(CITIES, (_, code) => code);
    const scores = model.predict({
      numRows: CITIES.length,
      columns: {
        city: { kind: 'categorical', codes, dictionary: CITIES },
        x: { kind: 'numeric', values: new Float64Array(CITIES.length).fill(5) },
        noise: { kind: 'numeric', values: new Float64Array(CITIES.length).fill(0.5) },
      },
    });
    const hot = [...HOT].map((code) => scores[code]);
    const cold = Array.from(scores).filter((_, code) => !HOT.has(code));
    expect(Math.min(...hot)).toBeGreaterThan(Math.max(...cold));
    expect(model.featureImportance().city).toBe(1);
  });

  it('learns where missing values go', async () => {
    // Missing x is strongly positive (+1.2) and missing city leans positive (+0.8).
    const model = await train('binary', { trees: 30, depth: 3, learning_rate: 0.3 }, 20_000);
    const rows = 2;
    const withX = (x: number, code: number) =>
      model.predict({
        numRows: rows,
        columns: {
          city: { kind: 'categorical', codes: new Int32Array(rows).fill(code), dictionary: CITIES },
          x: { kind: 'numeric', values: new Float64Array(rows).fill(x) },
          noise: { kind: 'numeric', values: new Float64Array(rows).fill(0.5) },
        },
      })[0];
    const cold = 0;
    expect(withX(Number.NaN, cold)).toBeGreaterThan(withX(4.7, cold) + 0.2); // sin(4.7) = -1
    expect(withX(4.7, -1)).toBeGreaterThan(withX(4.7, cold) + 0.2);
  });

  it('is reproducible: the same seed gives the same model, whatever the threads', async () => {
    const params = { trees: 15, depth: 4, subsample: 0.7, colsample: 0.67, seed: 42 };
    const signature = signatureFor(FEATURES, 'binary');
    const a = (await train('binary', { ...params, threads: 1 })).toOnnx(signature);
    const b = (await train('binary', { ...params, threads: 2 })).toOnnx(signature);
    const c = (await train('binary', { ...params, threads: 1, seed: 7 })).toOnnx(signature);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('stops early on the validation loss and keeps the best round', async () => {
    const { dataset, labels } = synthetic(3000, 1, 'binary');
    const validation = synthetic(3000, 9, 'binary');
    const model = await trainGbdt({
      features: FEATURES,
      task: 'binary',
      train: dataset,
      trainLabels: labels,
      validation: validation.dataset,
      validationLabels: validation.labels,
      params: {
        trees: 400,
        depth: 8,
        learning_rate: 0.5,
        min_child_weight: 0,
        lambda: 0,
        early_stopping_rounds: 5,
      },
    });
    const kept = model.params.trees as number;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(100);
    expect((model as GbdtModel).numTrees).toBe(kept);
  });

  it('caps leaves per tree and ranks features by gain', async () => {
    const model = await train('binary', { trees: 10, depth: 6, leaves: 5 });
    for (const leaves of model.leafCounts()) expect(leaves).toBeLessThanOrEqual(5);
    expect(Math.max(...model.leafCounts())).toBe(5);
    const importance = model.featureImportance();
    expect(importance.city + importance.x + importance.noise).toBeCloseTo(1, 9);
    expect(importance.noise).toBeLessThan(importance.x);
    expect(importance.noise).toBeLessThan(importance.city);
  });

  it('handles more categories than a byte of bins holds', async () => {
    const rnd = random(11);
    const dictionary = Array.from({ length: 300 }, (_, i) => `airport-${i}`);
    const make = (rows: number) => {
      const codes = Int32Array.from({ length: rows }, () => (rnd() < 0.03 ? -1 : Math.floor(rnd() * 300)));
      const labels = Float64Array.from(codes, (code) =>
        rnd() < (code >= 0 && code % 7 < 3 ? 0.8 : 0.2) ? 1 : 0,
      );
      const dataset: ColumnarDataset = {
        numRows: rows,
        columns: { airport: { kind: 'categorical', codes, dictionary } },
      };
      return { dataset, labels };
    };
    const features: FeatureSpec[] = [{ name: 'airport', kind: 'categorical' }];
    const trainSet = make(20_000);
    const model = await trainGbdt({
      features,
      task: 'binary',
      train: trainSet.dataset,
      trainLabels: trainSet.labels,
      params: { trees: 10, depth: 3, learning_rate: 0.5 },
    });
    const test = make(2000);
    const scores = model.predict(test.dataset);
    expect(rocAuc(test.labels, scores)).toBeGreaterThan(0.75);
    const out = await runOnnx(model.toOnnx(signatureFor(features, 'binary')), test.dataset);
    const positive = Array.from(
      { length: 2000 },
      (_, r) => (out.probabilities.data as Float32Array)[r * 2 + 1],
    );
    expect(maxAbsDifference(positive, scores)).toBeLessThan(1e-5);
  });

  it('rejects unknown and out-of-range parameters with the field to fix', () => {
    expect(() => parseGbdtParams({ treees: 10 })).toThrow(UserError);
    expect(() => parseGbdtParams({ treees: 10 })).toThrow(/trainer\.params\.treees/);
    expect(() => parseGbdtParams({ subsample: 0 })).toThrow(/subsample must be a number > 0/);
    expect(() => parseGbdtParams({ depth: 2.5 })).toThrow(/integer/);
    expect(parseGbdtParams({ max_depth: '3', eta: 0.05 })).toMatchObject({ depth: 3, learning_rate: 0.05 });
  });
});
