import type { FeatureSpec } from '../../config/spec.ts';
import type { ColumnarDataset } from '../../dataset/columnar.ts';
import { UserError } from '../../errors.ts';
import { type Binning, binRows, fitBinning } from './binning.ts';
import { OBJECTIVE_BINARY, OBJECTIVE_MULTICLASS, OBJECTIVE_REGRESSION, type ShardInit } from './kernels.ts';
import type { GbdtParams } from './params.ts';
import { ShardPool } from './shard-pool.ts';
import { type SplitChoice, SplitFinder } from './split.ts';
import { addTreeOnBins, type FittedTree, TreeBuilder } from './tree.ts';

/**
 * Gradient boosting with histogram trees, grown level by level (as XGBoost's `depthwise`):
 * each level's nodes find their best split from histograms, the rows are partitioned, and only
 * the smaller child of each split gets a histogram built from rows; the larger one is its parent's
 * minus the smaller's. Row work (gradients, histograms, partitions, margin updates) runs on row
 * shards (kernels.ts) in parallel threads; split finding runs here.
 */
export interface BoostInput {
  features: readonly FeatureSpec[];
  task: 'binary' | 'multiclass' | 'regression';
  train: ColumnarDataset;
  labels: Float64Array;
  validation?: ColumnarDataset;
  validationLabels?: Float64Array;
  params: GbdtParams;
  onProgress?: (message: string) => void;
}

export interface BoostResult {
  binning: Binning;
  trees: FittedTree[];
  /** Margin every row starts from, per output. */
  baseMargins: Float64Array;
  numOutputs: number;
  /** Total split gain per feature (index as in features), over the trees kept. */
  gains: Float64Array;
  /** Boosting rounds kept (after early stopping). */
  rounds: number;
  /** Validation loss per round (with early stopping). */
  validationLoss: number[];
  threads: number;
}

/** Row shards: fixed, so the model is the same whatever number of threads runs them. */
const SHARDS = 2;
/** Histogram slots per shard and batch; a level with more nodes is built in several batches. */
const HIST_SLOTS = 64;

export async function boost(input: BoostInput): Promise<BoostResult> {
  const { params, train, task } = input;
  const N = train.numRows;
  const F = input.features.length;
  if (N === 0)
    throw new UserError('the training data has no rows', { fix: 'check data.train in mlship.yaml' });
  const labels = checkLabels(input.labels, task, 'training');
  const K = task === 'multiclass' ? numClasses(labels) : 1;
  const binning = fitBinning(train, input.features, params.bins);

  const shared = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));
  const binsBuffer = shared(N * F * binning.binBytes);
  const bins = binRows(train, binning, binsBuffer);
  const columnBinsBuffer = shared(N * F * binning.binBytes);
  const columnBins =
    binning.binBytes === 1 ? new Uint8Array(columnBinsBuffer) : new Uint16Array(columnBinsBuffer);
  for (let r = 0; r < N; r++) for (let f = 0; f < F; f++) columnBins[f * N + r] = bins[r * F + f];
  const labelsBuffer = shared(N * 8);
  new Float64Array(labelsBuffer).set(labels);
  const baseMargins = baseMarginsFor(labels, task, K);
  const marginsBuffer = shared(N * K * 8);
  const margins = new Float64Array(marginsBuffer);
  for (let r = 0; r < N; r++) for (let k = 0; k < K; k++) margins[r * K + k] = baseMargins[k];
  const gradBuffer = shared(N * K * 4);
  const hessBuffer = shared(N * K * 4);
  const rowsBuffer = shared(N * 4);
  const tempBuffer = shared(N * 4);
  const maxNodes = params.leaves > 0 ? 2 * params.leaves : 2 ** (params.depth + 1);
  const shardHists: Float64Array[] = [];
  const inits: ShardInit[] = [];
  for (let s = 0; s < SHARDS; s++) {
    const hist = shared(HIST_SLOTS * binning.histSize * 2 * 8);
    shardHists.push(new Float64Array(hist));
    inits.push({
      rowLo: Math.floor((s * N) / SHARDS),
      rowHi: Math.floor(((s + 1) * N) / SHARDS),
      numRows: N,
      numFeatures: F,
      numOutputs: K,
      objective:
        task === 'binary'
          ? OBJECTIVE_BINARY
          : task === 'multiclass'
            ? OBJECTIVE_MULTICLASS
            : OBJECTIVE_REGRESSION,
      bins: binsBuffer,
      columnBins: columnBinsBuffer,
      binBytes: binning.binBytes,
      labels: labelsBuffer,
      margins: marginsBuffer,
      grad: gradBuffer,
      hess: hessBuffer,
      rows: rowsBuffer,
      temp: tempBuffer,
      hist,
      histSlots: HIST_SLOTS,
      histSize: binning.histSize,
      binOffsets: binning.offsets,
      binCounts: binning.counts,
      maxNodes,
    });
  }
  const threads = params.threads > 0 ? params.threads : ShardPool.defaultThreads(N);
  const pool = await ShardPool.create(inits, threads);

  // The validation split is scored tree by tree only when it decides when to stop.
  const validation =
    input.validation && params.early_stopping_rounds > 0
      ? prepareValidation(input, binning, baseMargins, K)
      : null;
  const finder = new SplitFinder(binning, {
    lambda: params.lambda,
    minChildWeight: params.min_child_weight,
    catSmooth: params.cat_smooth,
    maxCatThreshold: params.max_cat_threshold,
  });
  const trees: FittedTree[] = [];
  const treeGains: Float64Array[] = [];
  const validationLoss: number[] = [];
  let bestRound = 0;
  let bestLoss = Number.POSITIVE_INFINITY;
  const histograms = new HistogramStore(binning.histSize * 2);

  try {
    for (let round = 0; round < params.trees; round++) {
      // With one output the previous round's update already computed these gradients.
      if (round === 0 || K > 1) await pool.run({ op: 'gradients' });
      for (let k = 0; k < K; k++) {
        const treeIndex = round * K + k;
        const features = sampleFeatures(F, params.colsample, params.seed, treeIndex);
        const gains = new Float64Array(F);
        const tree = await growTree({
          pool,
          k,
          treeIndex,
          features,
          binning,
          params,
          finder,
          shardHists,
          histograms,
          gains,
          fuseGradients: K === 1,
        });
        trees.push(tree);
        treeGains.push(gains);
        if (validation) addTreeOnBins(tree, validation.bins, F, validation.margins, K);
      }
      if (validation) {
        const loss = lossOf(task, validation.margins, validation.labels, K);
        validationLoss.push(loss);
        if (loss < bestLoss - 1e-12) {
          bestLoss = loss;
          bestRound = round + 1;
        } else if (
          params.early_stopping_rounds > 0 &&
          round + 1 - bestRound >= params.early_stopping_rounds
        ) {
          input.onProgress?.(`early stopping after ${round + 1} rounds; best round ${bestRound}`);
          break;
        }
      }
      if ((round + 1) % 20 === 0 || round + 1 === params.trees) {
        const tail = validation
          ? `, validation loss ${validationLoss[validationLoss.length - 1].toFixed(5)}`
          : '';
        input.onProgress?.(`gbdt: ${round + 1}/${params.trees} rounds${tail}`);
      }
    }
  } finally {
    await pool.close();
  }
  const rounds = validation ? bestRound : trees.length / K;
  const gains = new Float64Array(F);
  for (const perTree of treeGains.slice(0, rounds * K)) for (let f = 0; f < F; f++) gains[f] += perTree[f];
  return {
    binning,
    trees: trees.slice(0, rounds * K),
    baseMargins,
    numOutputs: K,
    gains,
    rounds,
    validationLoss,
    threads,
  };
}

interface GrowContext {
  pool: ShardPool;
  k: number;
  treeIndex: number;
  features: Int32Array;
  binning: Binning;
  params: GbdtParams;
  finder: SplitFinder;
  shardHists: Float64Array[];
  histograms: HistogramStore;
  gains: Float64Array;
  /** The update also computes the next round's gradients (one output per round). */
  fuseGradients: boolean;
}

interface OpenNode {
  id: number;
  hist: Float64Array | null;
  grad: number;
  hess: number;
}

async function growTree(ctx: GrowContext): Promise<FittedTree> {
  const { pool, k, features, binning, params, finder, histograms } = ctx;
  const builder = new TreeBuilder(binning, k);
  await pool.run({ op: 'sample', seed: params.seed, tree: ctx.treeIndex, subsample: params.subsample });
  const [rootHist] = await buildHistograms(ctx, [0]);
  let G = 0;
  let H = 0;
  const f0 = features[0];
  for (let b = 0; b < binning.counts[f0]; b++) {
    G += rootHist[(binning.offsets[f0] + b) * 2];
    H += rootHist[(binning.offsets[f0] + b) * 2 + 1];
  }
  const leaves: OpenNode[] = [];
  // Nodes whose rows stay grouped in the shards: the update walks each row from there.
  const frontier: number[] = [];
  let level: OpenNode[] = [{ id: 0, hist: rootHist, grad: G, hess: H }];
  let numLeaves = 1;
  const maxLeaves = params.leaves > 0 ? params.leaves : Number.POSITIVE_INFINITY;
  for (let depth = 0; depth < params.depth && level.length > 0; depth++) {
    const lastLevel = depth + 1 === params.depth;
    const candidates: Array<{ node: OpenNode; choice: SplitChoice }> = [];
    const stay: OpenNode[] = [];
    for (const node of level) {
      const choice = finder.best(node.hist!, features, node.grad, node.hess);
      if (choice && choice.gain > 1e-12) candidates.push({ node, choice });
      else stay.push(node);
    }
    // Under a leaf budget, the best gains split first.
    candidates.sort((a, b) => b.choice.gain - a.choice.gain || a.node.id - b.node.id);
    const taken = candidates.slice(0, Math.max(0, Math.min(candidates.length, maxLeaves - numLeaves)));
    for (const rest of candidates.slice(taken.length)) stay.push(rest.node);
    taken.sort((a, b) => a.node.id - b.node.id);
    numLeaves += taken.length;
    for (const node of stay) {
      leaves.push(node);
      frontier.push(node.id);
      histograms.free(node.hist!);
      node.hist = null;
    }
    if (taken.length === 0) {
      level = [];
      break;
    }

    const next: OpenNode[] = [];
    const pairs: Array<{ parent: OpenNode; small: OpenNode; large: OpenNode }> = [];
    const tables: Uint8Array[] = [];
    const batch = {
      nodes: new Int32Array(taken.length),
      features: new Int32Array(taken.length),
      tableOffsets: new Int32Array(taken.length),
      lefts: new Int32Array(taken.length),
      rights: new Int32Array(taken.length),
    };
    let tableLength = 0;
    taken.forEach(({ node, choice }, i) => {
      const { left, right, table } = builder.split(node.id, choice);
      ctx.gains[choice.feature] += choice.gain;
      batch.nodes[i] = node.id;
      batch.features[i] = choice.feature;
      batch.tableOffsets[i] = tableLength;
      batch.lefts[i] = left;
      batch.rights[i] = right;
      tables.push(table);
      tableLength += table.length;
      const l: OpenNode = { id: left, hist: null, grad: choice.gradLeft, hess: choice.hessLeft };
      const r: OpenNode = { id: right, hist: null, grad: choice.gradRight, hess: choice.hessRight };
      next.push(l, r);
      const leftSmaller = choice.hessLeft <= choice.hessRight;
      pairs.push({ parent: node, small: leftSmaller ? l : r, large: leftSmaller ? r : l });
    });

    if (lastLevel) {
      // The children are leaves: no partition, the update routes each row one step down.
      for (const pair of pairs) {
        frontier.push(pair.parent.id);
        histograms.free(pair.parent.hist!);
        pair.parent.hist = null;
      }
      leaves.push(...next);
      level = [];
      break;
    }
    const allTables = new Uint8Array(tableLength);
    tables.forEach((table, i) => {
      allTables.set(table, batch.tableOffsets[i]);
    });
    await pool.run({ op: 'split', splits: { ...batch, tables: allTables } });
    const built = await buildHistograms(
      ctx,
      pairs.map((pair) => pair.small.id),
    );
    pairs.forEach((pair, i) => {
      const parentHist = pair.parent.hist!;
      const smallHist = built[i];
      // The larger child's histogram is the parent's minus the smaller's, computed in place.
      for (const f of features) {
        const from = binning.offsets[f] * 2;
        const to = from + binning.counts[f] * 2;
        for (let b = from; b < to; b++) parentHist[b] -= smallHist[b];
      }
      pair.small.hist = smallHist;
      pair.large.hist = parentHist;
      pair.parent.hist = null;
    });
    level = next;
  }
  // Reached only when the level loop ran out of depth with nodes still open (depth 0 trees).
  for (const node of level) {
    leaves.push(node);
    frontier.push(node.id);
    if (node.hist) histograms.free(node.hist);
  }

  for (const leaf of leaves) {
    builder.setLeafValue(
      leaf.id,
      Math.fround((-leaf.grad / (leaf.hess + params.lambda)) * params.learning_rate),
    );
  }
  const tree = builder.finish();
  await pool.run({
    op: 'update',
    output: k,
    tree,
    frontier: Int32Array.from(frontier),
    gradients: ctx.fuseGradients,
  });
  return tree;
}

/** Builds full histograms of the given nodes: each shard sums its rows, then shards are added. */
async function buildHistograms(ctx: GrowContext, nodes: number[]): Promise<Float64Array[]> {
  const { pool, k, features, binning, shardHists, histograms } = ctx;
  const size = binning.histSize * 2;
  const out: Float64Array[] = [];
  for (let start = 0; start < nodes.length; start += HIST_SLOTS) {
    const chunk = nodes.slice(start, start + HIST_SLOTS);
    const slots = Int32Array.from(chunk, (_, i) => i);
    await pool.run({ op: 'hist', output: k, nodes: Int32Array.from(chunk), slots, features });
    chunk.forEach((_, i) => {
      const hist = histograms.take();
      const base = i * size;
      for (const f of features) {
        const from = binning.offsets[f] * 2;
        const to = from + binning.counts[f] * 2;
        for (let b = from; b < to; b++) {
          let sum = 0;
          for (let s = 0; s < shardHists.length; s++) sum += shardHists[s][base + b];
          hist[b] = sum;
        }
      }
      out.push(hist);
    });
  }
  return out;
}

/** Reuses histogram arrays: a tree needs a few hundred, boosting thousands of trees. */
class HistogramStore {
  private readonly spare: Float64Array[] = [];
  constructor(private readonly size: number) {}
  take(): Float64Array {
    return this.spare.pop() ?? new Float64Array(this.size);
  }
  free(hist: Float64Array): void {
    this.spare.push(hist);
  }
}

/** Features a tree may split on: all, or a seeded sample of ceil(colsample * F), sorted. */
function sampleFeatures(F: number, colsample: number, seed: number, tree: number): Int32Array {
  if (colsample >= 1) return Int32Array.from({ length: F }, (_, i) => i);
  const count = Math.max(1, Math.ceil(colsample * F));
  const random = mulberry32((seed ^ Math.imul(tree + 1, 0x9e3779b1)) >>> 0);
  const order = Array.from({ length: F }, (_, i) => i);
  for (let i = F - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return Int32Array.from(order.slice(0, count).sort((a, b) => a - b));
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkLabels(labels: Float64Array, task: BoostInput['task'], which: string): Float64Array {
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r];
    const ok =
      task === 'regression'
        ? Number.isFinite(y)
        : task === 'binary'
          ? y === 0 || y === 1
          : Number.isInteger(y) && y >= 0 && y < 1_000;
    if (!ok) {
      const want =
        task === 'regression' ? 'finite numbers' : task === 'binary' ? '0 or 1' : 'class indices 0..K-1';
      throw new UserError(`${which} label at row ${r} is ${y}; a ${task} target must be ${want}`, {
        file: 'mlship.yaml',
        field: 'target',
        fix: 'choose a target column without missing values that suits the task',
      });
    }
  }
  return labels;
}

function numClasses(labels: Float64Array): number {
  let max = 0;
  for (let r = 0; r < labels.length; r++) if (labels[r] > max) max = labels[r];
  return Math.max(2, max + 1);
}

/** Starting margins: log-odds of the base rate, log class priors, or the mean. */
function baseMarginsFor(labels: Float64Array, task: BoostInput['task'], K: number): Float64Array {
  const n = labels.length;
  if (task === 'regression') {
    let sum = 0;
    for (let r = 0; r < n; r++) sum += labels[r];
    return Float64Array.of(Math.fround(sum / n));
  }
  const counts = new Float64Array(Math.max(K, 2));
  for (let r = 0; r < n; r++) counts[labels[r]]++;
  if (task === 'binary') {
    const p = Math.min(1 - 1e-6, Math.max(1e-6, counts[1] / n));
    return Float64Array.of(Math.fround(Math.log(p / (1 - p))));
  }
  return counts.map((count) => Math.fround(Math.log(Math.max(count / n, 1e-6))));
}

interface PreparedValidation {
  bins: Uint8Array | Uint16Array;
  margins: Float64Array;
  labels: Float64Array;
}

function prepareValidation(
  input: BoostInput,
  binning: Binning,
  baseMargins: Float64Array,
  K: number,
): PreparedValidation {
  const validation = input.validation!;
  if (!input.validationLabels || input.validationLabels.length !== validation.numRows) {
    throw new Error('validation labels must be given with one label per validation row');
  }
  const labels = checkLabels(input.validationLabels, input.task, 'validation');
  if (input.task === 'multiclass') {
    for (const y of labels) {
      if (y >= K) {
        throw new UserError(`validation has class ${y}, which training never saw`, {
          file: 'mlship.yaml',
          field: 'data.train',
          fix: 'make sure every class occurs in the training rows',
        });
      }
    }
  }
  const margins = new Float64Array(validation.numRows * K);
  for (let r = 0; r < validation.numRows; r++)
    for (let k = 0; k < K; k++) margins[r * K + k] = baseMargins[k];
  return { bins: binRows(validation, binning), margins, labels };
}

/** Mean log-loss (binary, multiclass) or root mean squared error (regression) of margins. */
export function lossOf(
  task: BoostInput['task'],
  margins: Float64Array,
  labels: Float64Array,
  K: number,
): number {
  const n = labels.length;
  if (n === 0) return 0;
  let total = 0;
  if (task === 'regression') {
    for (let r = 0; r < n; r++) total += (margins[r] - labels[r]) ** 2;
    return Math.sqrt(total / n);
  }
  if (task === 'binary') {
    for (let r = 0; r < n; r++) {
      const m = margins[r];
      // log(1 + e^m) - y m, computed without overflow.
      total += Math.max(m, 0) + Math.log1p(Math.exp(-Math.abs(m))) - labels[r] * m;
    }
    return total / n;
  }
  for (let r = 0; r < n; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) max = Math.max(max, margins[r * K + k]);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(margins[r * K + k] - max);
    total += max + Math.log(sum) - margins[r * K + labels[r]];
  }
  return total / n;
}
