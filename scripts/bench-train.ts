/**
 * Gradient-boosted trees against XGBoost 1.7 on the flights data (npm run bench:train).
 *
 * Trains on the first 1 million rows of January–April and on all of January–April, tests on May:
 * 200 trees, depth 8, learning rate 0.1, 255 bins, for mlship's trainer and for XGBoost
 * (tree_method=hist, 2 threads, native categoricals via pandas categoricals), side by side in the
 * same run. Each trainer runs in its own child process so its peak resident memory is its own.
 * Then: onnxruntime-node throughput of the exported model (1 and 1,000 rows per call) and the
 * largest difference between onnxruntime's and the trainer's probabilities over all of May.
 *
 * Needs: data/flights (npm run ingest), Debian's python3-xgboost and python3-pandas.
 * Usage: npm run bench:train [-- --sizes 1000000,all --trees 200 --threads 2]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import * as ort from 'onnxruntime-node';
import type { FeatureSpec } from '../src/config/spec.ts';
import type { ColumnarDataset } from '../src/dataset/columnar.ts';
import { loadDataset } from '../src/dataset/parquet.ts';
import { rocAuc } from '../src/metrics/binary.ts';
import { trainingCodes } from '../src/train/gbdt/binning.ts';
import { trainGbdt } from '../src/train/gbdt/index.ts';
import { signatureFor } from '../src/train/signature.ts';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const FEATURES: FeatureSpec[] = [
  { name: 'origin', kind: 'categorical' },
  { name: 'destination', kind: 'categorical' },
  { name: 'distance', kind: 'numeric' },
  { name: 'dep_hour', kind: 'numeric' },
  { name: 'day_of_week', kind: 'numeric' },
];
const TARGET = 'delayed';
const TRAIN_FILES = ['01', '02', '03', '04'].map((m) => `data/flights/2001-${m}.parquet`);
const TEST_FILE = 'data/flights/2001-05.parquet';

function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : fallback;
}
const trees = Number(arg('trees', '200'));
const depth = Number(arg('depth', '8'));
const threads = Number(arg('threads', '2'));

/** The first `rows` rows of a data set, copied so the rest can be freed. */
function head(dataset: ColumnarDataset, labels: Float64Array, rows: number) {
  const n = Math.min(rows, dataset.numRows);
  if (n === dataset.numRows) return { dataset, labels };
  const columns: ColumnarDataset['columns'] = {};
  for (const [name, column] of Object.entries(dataset.columns)) {
    columns[name] =
      column.kind === 'numeric'
        ? { kind: 'numeric', values: column.values.slice(0, n) }
        : { kind: 'categorical', codes: column.codes.slice(0, n), dictionary: column.dictionary };
  }
  return { dataset: { numRows: n, columns }, labels: labels.slice(0, n) };
}

/** Loads only the months the first `rows` rows come from, so peak memory reflects the rows used. */
async function loadAll(rows: number) {
  const files: string[] = [];
  let available = 0;
  for (const file of TRAIN_FILES) {
    if (available >= rows) break;
    files.push(file);
    available += Number((await parquetMetadataAsync(await asyncBufferFromFile(file))).num_rows);
  }
  const train = await loadDataset(files, FEATURES, TARGET);
  const test = await loadDataset([TEST_FILE], FEATURES, TARGET);
  return { train: head(train.dataset, train.labels, rows), test };
}

interface Figures {
  trainer: string;
  rows: number;
  trainSeconds: number;
  /** CPU seconds (user + system, all threads) spent training. */
  cpuSeconds: number;
  peakRssMB: number;
  rssAfterLoadMB: number;
  auc: number;
  trees?: number;
  onnxMaxDiff?: number;
  onnxLabelMismatches?: number;
  singleRowPerSecond?: number;
  batchRowsPerSecond?: number;
  singleRowOneThread?: number;
  batchRowsOneThread?: number;
  sessionLoadSeconds?: number;
  modelMB?: number;
  peakRssWithOnnxMB?: number;
}

/** Child process: load, train with mlship's trainer, score May, report. */
async function childMlship(rows: number, withOnnx: boolean): Promise<Figures> {
  const { train, test } = await loadAll(rows);
  const rssAfterLoadMB = process.memoryUsage().rss / 2 ** 20;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const model = await trainGbdt({
    features: FEATURES,
    task: 'binary',
    train: train.dataset,
    trainLabels: train.labels,
    params: { trees, depth, learning_rate: 0.1, bins: 255, lambda: 1, min_child_weight: 1, threads },
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  const scores = model.predict(test.dataset);
  const figures: Figures = {
    trainer: 'mlship',
    rows: train.dataset.numRows,
    trainSeconds,
    cpuSeconds,
    peakRssMB,
    rssAfterLoadMB,
    auc: rocAuc(test.labels, scores),
    trees: model.params.trees as number,
  };
  if (withOnnx)
    Object.assign(
      figures,
      await onnxFigures(model.toOnnx(signatureFor(FEATURES, 'binary')), test.dataset, scores),
    );
  return figures;
}

function onnxFeeds(dataset: ColumnarDataset, from: number, to: number): Record<string, ort.Tensor> {
  const n = to - from;
  const feeds: Record<string, ort.Tensor> = {};
  for (const feature of FEATURES) {
    const column = dataset.columns[feature.name];
    if (column.kind === 'numeric') {
      feeds[feature.name] = new ort.Tensor('float32', Float32Array.from(column.values.subarray(from, to)), [
        n,
        1,
      ]);
    } else {
      const strings = Array.from(column.codes.subarray(from, to), (code) =>
        code < 0 ? '' : column.dictionary[code],
      );
      feeds[feature.name] = new ort.Tensor('string', strings, [n, 1]);
    }
  }
  return feeds;
}

async function onnxFigures(model: Uint8Array, test: ColumnarDataset, scores: Float64Array) {
  const loadStarted = performance.now();
  const session = await ort.InferenceSession.create(model);
  const sessionLoadSeconds = (performance.now() - loadStarted) / 1000;
  let onnxMaxDiff = 0;
  let onnxLabelMismatches = 0;
  // All of May, in chunks of 50,000 rows (as a batch scorer would send them).
  for (let from = 0; from < test.numRows; from += 50_000) {
    const to = Math.min(test.numRows, from + 50_000);
    const out = await session.run(onnxFeeds(test, from, to));
    const probabilities = out.probabilities.data as Float32Array;
    const labels = out.label.data as BigInt64Array;
    for (let r = from; r < to; r++) {
      onnxMaxDiff = Math.max(onnxMaxDiff, Math.abs(probabilities[(r - from) * 2 + 1] - scores[r]));
      if (Number(labels[r - from]) !== (scores[r] > 0.5 ? 1 : 0)) onnxLabelMismatches++;
    }
  }
  const timeCalls = async (target: ort.InferenceSession, batch: number, calls: number) => {
    const feeds = Array.from({ length: calls }, (_, i) => {
      const from = (i * batch) % (test.numRows - batch);
      return onnxFeeds(test, from, from + batch);
    });
    for (const feed of feeds.slice(0, 20)) await target.run(feed); // warm up
    const started = performance.now();
    for (const feed of feeds) await target.run(feed);
    return (calls * batch) / ((performance.now() - started) / 1000);
  };
  const singleRowPerSecond = await timeCalls(session, 1, 3000);
  const batchRowsPerSecond = await timeCalls(session, 1000, 100);
  await session.release();
  // One intra-op thread: what a server running one session per worker thread sees.
  const single = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const singleRowOneThread = await timeCalls(single, 1, 3000);
  const batchRowsOneThread = await timeCalls(single, 1000, 100);
  await single.release();
  return {
    onnxMaxDiff,
    onnxLabelMismatches,
    sessionLoadSeconds,
    modelMB: model.length / 2 ** 20,
    singleRowPerSecond,
    batchRowsPerSecond,
    singleRowOneThread,
    batchRowsOneThread,
    peakRssWithOnnxMB: process.resourceUsage().maxRSS / 1024,
  };
}

const XGBOOST = `
import json, resource, sys, time
import numpy as np, pandas as pd, xgboost as xgb
from sklearn.metrics import roc_auc_score
d, trees, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
meta = json.load(open(d + '/meta.json'))
def frame(split):
    cols = {}
    for f in meta['features']:
        if f['kind'] == 'numeric':
            cols[f['name']] = np.fromfile(f"{d}/{split}.{f['name']}", dtype='<f8')
        else:
            codes = np.fromfile(f"{d}/{split}.{f['name']}", dtype='<i4')
            cols[f['name']] = pd.Categorical.from_codes(codes, categories=meta['dictionaries'][f['name']])
    return pd.DataFrame(cols), np.fromfile(f"{d}/{split}.label", dtype='<f8')
X, y = frame('train')
Xt, yt = frame('test')
rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
cpu_start = time.process_time()
dtrain = xgb.DMatrix(X, label=y, enable_categorical=True, nthread=2)
params = {'objective': 'binary:logistic', 'tree_method': 'hist', 'nthread': 2, 'max_depth': depth,
          'eta': 0.1, 'max_bin': 255, 'lambda': 1, 'min_child_weight': 1}
booster = xgb.train(params, dtrain, num_boost_round=trees)
train_seconds = time.perf_counter() - start
cpu_seconds = time.process_time() - cpu_start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
p = booster.predict(xgb.DMatrix(Xt, enable_categorical=True, nthread=2))
print(json.dumps({'trainer': 'xgboost ' + xgb.__version__, 'rows': len(y), 'trainSeconds': train_seconds,
                  'cpuSeconds': cpu_seconds,
                  'peakRssMB': peak, 'rssAfterLoadMB': rss_after_load, 'auc': roc_auc_score(yt, p)}))
`;

/** Child process: XGBoost on the same rows, columns handed over as raw little-endian files. */
async function childXgboost(rows: number): Promise<Figures> {
  const { train, test } = await loadAll(rows);
  const dir = await mkdtemp(join(tmpdir(), 'mlship-bench-xgb-'));
  try {
    const dictionaries: Record<string, readonly string[]> = {};
    const write = async (split: string, dataset: ColumnarDataset, labels: Float64Array) => {
      for (const feature of FEATURES) {
        const column = dataset.columns[feature.name];
        let bytes: Float64Array | Int32Array;
        if (column.kind === 'numeric') bytes = Float64Array.from(column.values);
        else {
          // May's codes in January–April's dictionary; unseen categories are missing, as in mlship.
          const trainColumn = train.dataset.columns[feature.name];
          if (trainColumn.kind !== 'categorical') throw new Error('kinds differ');
          dictionaries[feature.name] = trainColumn.dictionary;
          bytes = Int32Array.from(trainingCodes(column.codes, column.dictionary, trainColumn.dictionary));
        }
        await writeFile(join(dir, `${split}.${feature.name}`), bytes);
      }
      await writeFile(join(dir, `${split}.label`), Float64Array.from(labels));
    };
    await write('train', train.dataset, train.labels);
    await write('test', test.dataset, test.labels);
    await writeFile(join(dir, 'meta.json'), JSON.stringify({ features: FEATURES, dictionaries }));
    const { stdout } = await run(PYTHON, ['-c', XGBOOST, dir, String(trees), String(depth)], {
      maxBuffer: 1 << 24,
    });
    return JSON.parse(stdout.trim().split('\n').pop()!) as Figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function spawnChild(kind: string, rows: number, onnx: boolean): Promise<Figures> {
  const args = ['--import', 'tsx', process.argv[1], '--child', kind, '--rows', String(rows)];
  args.push('--trees', String(trees), '--depth', String(depth), '--threads', String(threads));
  if (onnx) args.push('--onnx', '1');
  const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Figures;
}

const child = arg('child', '');
if (child) {
  const rows = Number(arg('rows', 'Infinity'));
  const figures =
    child === 'mlship' ? await childMlship(rows, arg('onnx', '') === '1') : await childXgboost(rows);
  console.log(JSON.stringify(figures));
} else {
  const sizes = arg('sizes', '1000000,all')
    .split(',')
    .map((size) => (size === 'all' ? Number.POSITIVE_INFINITY : Number(size)));
  console.log(`bench:train  ${trees} trees, depth ${depth}, learning rate 0.1, 255 bins, ${threads} threads`);
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const [index, rows] of sizes.entries()) {
    const last = index === sizes.length - 1;
    for (const kind of ['mlship', 'xgboost']) {
      const figures =
        kind === 'mlship' ? await spawnChild(kind, rows, last) : await spawnChild(kind, rows, false);
      const load = loadavg()[0].toFixed(2);
      console.log(
        `${figures.trainer.padEnd(14)} rows ${String(figures.rows).padStart(8)}  train ${figures.trainSeconds.toFixed(1).padStart(6)} s (cpu ${figures.cpuSeconds.toFixed(1)} s)` +
          `  peak RSS ${figures.peakRssMB.toFixed(0).padStart(5)} MB (after load ${figures.rssAfterLoadMB.toFixed(0)} MB)` +
          `  May AUC ${figures.auc.toFixed(4)}  load avg ${load}`,
      );
      if (figures.singleRowPerSecond !== undefined) {
        const rate = (value?: number) => Math.round(value ?? 0).toLocaleString('en-US');
        console.log(
          `  onnx model ${figures.modelMB!.toFixed(1)} MB, session load ${figures.sessionLoadSeconds!.toFixed(1)} s; ` +
            `all of May: max |p_onnx - p_predict| ${figures.onnxMaxDiff!.toExponential(2)}, ` +
            `label mismatches ${figures.onnxLabelMismatches}; peak RSS with onnxruntime ${figures.peakRssWithOnnxMB!.toFixed(0)} MB`,
        );
        console.log(
          `  onnxruntime predictions/s: 1 row per call ${rate(figures.singleRowPerSecond)} ` +
            `(1 intra-op thread: ${rate(figures.singleRowOneThread)}), ` +
            `1,000 rows per call ${rate(figures.batchRowsPerSecond)} (1 thread: ${rate(figures.batchRowsOneThread)})`,
        );
      }
    }
  }
  console.log(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}
