/**
 * The hot loops of boosting, run per shard of rows: gradients, row sampling, histogram building,
 * row partitioning and margin updates. A shard owns a contiguous range of row ids [rowLo, rowHi)
 * and the same positions of the shared `rows`/`temp` index arrays, so shards never write to the
 * same memory and need no locks.
 *
 * `createShardKernel` must stay self-contained (no imports, no module-level references): the
 * worker pool runs its source text in worker threads (see shard-pool.ts), which works the same
 * under tsx, vitest and a bundled action, with no loader for TypeScript in the worker.
 */

export const OBJECTIVE_BINARY = 0;
export const OBJECTIVE_MULTICLASS = 1;
export const OBJECTIVE_REGRESSION = 2;

export interface ShardInit {
  rowLo: number;
  rowHi: number;
  numRows: number;
  numFeatures: number;
  /** Margin columns: K for multiclass, 1 otherwise. */
  numOutputs: number;
  objective: number;
  /** Bin index per row and feature, row-major (row * numFeatures + feature); Uint8 or Uint16. */
  bins: SharedArrayBuffer;
  /**
   * The same bins column-major (feature * numRows + row). Histograms read every feature of a row
   * (row-major keeps them in one cache line); partitions read one feature of scattered rows
   * (column-major keeps that feature's bins in a few megabytes instead of all of them).
   */
  columnBins: SharedArrayBuffer;
  binBytes: 1 | 2;
  /** Float64 [numRows]. */
  labels: SharedArrayBuffer;
  /** Float64 [numRows * numOutputs], row-major. */
  margins: SharedArrayBuffer;
  /** Float32 [numOutputs * numRows], output-major (one gradient vector per output). */
  grad: SharedArrayBuffer;
  hess: SharedArrayBuffer;
  /** Uint32 [numRows]: row ids grouped by tree node. */
  rows: SharedArrayBuffer;
  temp: SharedArrayBuffer;
  /** Float64 [histSlots * histSize * 2]: this shard's histograms, (gradient, hessian) per bin. */
  hist: SharedArrayBuffer;
  histSlots: number;
  /** Total bins over all features, each feature's last bin being its missing bin. */
  histSize: number;
  /** First bin of each feature in a histogram. */
  binOffsets: Int32Array;
  binCounts: Int32Array;
  /** Room for node ids in a tree. */
  maxNodes: number;
}

/** Splits to apply: parallel arrays, one entry per split node; `tables` hold goLeft per bin. */
export interface SplitBatch {
  nodes: Int32Array;
  features: Int32Array;
  tableOffsets: Int32Array;
  tables: Uint8Array;
  lefts: Int32Array;
  rights: Int32Array;
}

/** A tree over bins, as flat arrays (leaf when feature < 0). */
export interface BinTree {
  features: Int32Array;
  tableOffsets: Int32Array;
  tables: Uint8Array;
  lefts: Int32Array;
  rights: Int32Array;
  values: Float64Array;
}

export type ShardCommand =
  | { op: 'gradients' }
  | { op: 'sample'; seed: number; tree: number; subsample: number }
  | { op: 'split'; splits: SplitBatch }
  | { op: 'hist'; output: number; nodes: Int32Array; slots: Int32Array; features: Int32Array }
  | {
      op: 'update';
      output: number;
      /** The tree (values indexed by node id). */
      tree: BinTree;
      /** Nodes whose rows are grouped (leaves, and nodes split without partitioning their rows). */
      frontier: Int32Array;
      /** Also compute the next round's gradients (single-output objectives only). */
      gradients: boolean;
    };

export interface ShardKernel {
  run(command: ShardCommand): number;
}

export function createShardKernel(init: ShardInit): ShardKernel {
  const { rowLo, rowHi, numRows, numFeatures: F, numOutputs: K, objective } = init;
  const bins = init.binBytes === 1 ? new Uint8Array(init.bins) : new Uint16Array(init.bins);
  const columnBins = init.binBytes === 1 ? new Uint8Array(init.columnBins) : new Uint16Array(init.columnBins);
  const labels = new Float64Array(init.labels);
  const margins = new Float64Array(init.margins);
  const grad = new Float32Array(init.grad);
  const hess = new Float32Array(init.hess);
  const rows = new Uint32Array(init.rows);
  const temp = new Uint32Array(init.temp);
  const hist = new Float64Array(init.hist);
  const histSize2 = init.histSize * 2;
  const binOffsets = init.binOffsets;
  const binCounts = init.binCounts;
  const nodeBegin = new Int32Array(init.maxNodes);
  const nodeEnd = new Int32Array(init.maxNodes);
  /** Rows in the bag; positions [rowLo + inBag, rowHi) hold the rows left out of this tree. */
  let inBag = rowHi - rowLo;
  const probabilities = new Float64Array(K);
  // The objective codes again: this function may not refer to anything outside itself.
  const BINARY = 0;
  const REGRESSION = 2;

  function gradients(): number {
    const margins_ = margins;
    const labels_ = labels;
    const grad_ = grad;
    const hess_ = hess;
    if (objective === BINARY) {
      for (let r = rowLo; r < rowHi; r++) {
        const p = 1 / (1 + Math.exp(-margins_[r]));
        grad_[r] = p - labels_[r];
        const h = p * (1 - p);
        hess_[r] = Math.max(h, 1e-16);
      }
    } else if (objective === REGRESSION) {
      for (let r = rowLo; r < rowHi; r++) {
        grad_[r] = margins_[r] - labels_[r];
        hess_[r] = 1;
      }
    } else {
      for (let r = rowLo; r < rowHi; r++) {
        const base = r * K;
        let max = margins[base];
        for (let k = 1; k < K; k++) if (margins[base + k] > max) max = margins[base + k];
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const e = Math.exp(margins[base + k] - max);
          probabilities[k] = e;
          sum += e;
        }
        const label = labels[r];
        for (let k = 0; k < K; k++) {
          const p = probabilities[k] / sum;
          grad[k * numRows + r] = p - (label === k ? 1 : 0);
          const h = p * (1 - p);
          hess[k * numRows + r] = Math.max(h, 1e-16);
        }
      }
    }
    return 0;
  }

  /**
   * Puts this tree's rows in node 0. A row is in the bag when a hash of (seed, tree, row) falls
   * under `subsample`, so the bag does not depend on how rows are sharded.
   */
  function sample(seed: number, tree: number, subsample: number): number {
    if (subsample >= 1) {
      for (let r = rowLo; r < rowHi; r++) rows[r] = r;
      inBag = rowHi - rowLo;
    } else {
      const limit = Math.floor(subsample * 4294967296);
      let l = rowLo;
      let t = rowLo;
      for (let r = rowLo; r < rowHi; r++) {
        let x = Math.imul(r ^ seed, 0x9e3779b1) ^ Math.imul(tree + 1, 0x85ebca6b);
        x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
        x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
        x ^= x >>> 16;
        if (x >>> 0 < limit) rows[l++] = r;
        else temp[t++] = r;
      }
      inBag = l - rowLo;
      for (let i = rowLo; i < t; i++) rows[l++] = temp[i];
    }
    nodeBegin[0] = rowLo;
    nodeEnd[0] = rowLo + inBag;
    return inBag;
  }

  /** Stable partition of each split node's rows into its two children (left rows first). */
  function split(batch: SplitBatch): number {
    const tables = batch.tables;
    // Locals, not closure variables, in the loop: V8 keeps them in registers.
    const rowIds = rows;
    const spill = temp;
    const binsOf = columnBins;
    for (let s = 0; s < batch.nodes.length; s++) {
      const node = batch.nodes[s];
      const column = batch.features[s] * numRows;
      const table = batch.tableOffsets[s];
      const begin = nodeBegin[node];
      const end = nodeEnd[node];
      let l = begin;
      let t = rowLo;
      // Branch-free: the side is random per row, a branch would mispredict half the time.
      for (let i = begin; i < end; i++) {
        const r = rowIds[i];
        const goLeft = tables[table + binsOf[column + r]];
        rowIds[l] = r;
        spill[t] = r;
        l += goLeft;
        t += 1 - goLeft;
      }
      const middle = l;
      rowIds.set(spill.subarray(rowLo, t), middle);
      nodeBegin[batch.lefts[s]] = begin;
      nodeEnd[batch.lefts[s]] = middle;
      nodeBegin[batch.rights[s]] = middle;
      nodeEnd[batch.rights[s]] = end;
    }
    return 0;
  }

  type HistLoop = (
    rows: Uint32Array,
    begin: number,
    end: number,
    grad: Float32Array,
    hess: Float32Array,
    gOffset: number,
    bins: Uint8Array | Uint16Array,
    hist: Float64Array,
    base: number,
  ) => void;
  const histLoops = new Map<string, HistLoop>();

  /**
   * The histogram loop for a set of features, generated with the features and their bin offsets
   * as constants and the feature loop unrolled: about twice as fast as the generic loop in V8,
   * and this loop is where boosting spends most of its time.
   */
  function histLoop(features: Int32Array): HistLoop {
    const key = features.join(',');
    let loop = histLoops.get(key);
    if (!loop) {
      const body: string[] = [];
      for (let j = 0; j < features.length; j++) {
        const f = features[j];
        body.push(
          `at = base + ((${binOffsets[f]} + bins[rb + ${f}]) << 1); hist[at] += g; hist[at + 1] += h;`,
        );
      }
      loop = new Function(
        'rows',
        'begin',
        'end',
        'grad',
        'hess',
        'gOffset',
        'bins',
        'hist',
        'base',
        `'use strict';
        let at = 0;
        for (let i = begin; i < end; i++) {
          const r = rows[i];
          const g = grad[gOffset + r];
          const h = hess[gOffset + r];
          const rb = r * ${F};
          ${body.join('\n')}
        }`,
      ) as HistLoop;
      histLoops.set(key, loop);
    }
    return loop;
  }

  /** (gradient, hessian) sums per bin of the given features, for each node, into its slot. */
  function histograms(output: number, nodes: Int32Array, slots: Int32Array, features: Int32Array): number {
    const loop = histLoop(features);
    for (let n = 0; n < nodes.length; n++) {
      const base = slots[n] * histSize2;
      for (let j = 0; j < features.length; j++) {
        const start = base + binOffsets[features[j]] * 2;
        hist.fill(0, start, start + binCounts[features[j]] * 2);
      }
      loop(rows, nodeBegin[nodes[n]], nodeEnd[nodes[n]], grad, hess, output * numRows, bins, hist, base);
    }
    return 0;
  }

  /**
   * Adds the tree's leaf values to the margins: in-bag rows are grouped by frontier node, so they
   * walk from there (zero or one step); out-of-bag rows walk from the root. With `withGradients`
   * (one output), each row's next gradient is computed while its margin is at hand.
   */
  function update(output: number, tree: BinTree, frontier: Int32Array, withGradients: boolean): number {
    const { features, tableOffsets, tables, lefts, rights, values } = tree;
    const rowIds = rows;
    const binsOf = columnBins;
    const m = margins;
    const mode = !withGradients ? 0 : objective === BINARY ? 1 : objective === REGRESSION ? 2 : 0;
    // In-bag rows from their frontier node, then out-of-bag rows (positions past the bag) from
    // the root: one loop over position ranges, no per-row closure.
    const segments = frontier.length + 1;
    for (let n = 0; n < segments; n++) {
      const start = n < frontier.length ? frontier[n] : 0;
      const from = n < frontier.length ? nodeBegin[start] : rowLo + inBag;
      const to = n < frontier.length ? nodeEnd[start] : rowHi;
      for (let i = from; i < to; i++) {
        const r = rowIds[i];
        let node = start;
        while (features[node] >= 0) {
          node =
            tables[tableOffsets[node] + binsOf[features[node] * numRows + r]] === 1
              ? lefts[node]
              : rights[node];
        }
        const at = r * K + output;
        const margin = m[at] + values[node];
        m[at] = margin;
        if (mode === 1) {
          const p = 1 / (1 + Math.exp(-margin));
          grad[r] = p - labels[r];
          hess[r] = Math.max(p * (1 - p), 1e-16);
        } else if (mode === 2) {
          grad[r] = margin - labels[r];
          hess[r] = 1;
        }
      }
    }
    return 0;
  }

  return {
    run(command: ShardCommand): number {
      switch (command.op) {
        case 'gradients':
          return gradients();
        case 'sample':
          return sample(command.seed, command.tree, command.subsample);
        case 'split':
          return split(command.splits);
        case 'hist':
          return histograms(command.output, command.nodes, command.slots, command.features);
        case 'update':
          return update(command.output, command.tree, command.frontier, command.gradients);
      }
    },
  };
}
