import type { Tree as OnnxTree, TreeNode as OnnxTreeNode } from '../../model/onnx/index.ts';
import type { Binning } from './binning.ts';
import type { BinTree } from './kernels.ts';
import type { SplitChoice } from './split.ts';

/**
 * A fitted tree as flat arrays (node 0 is the root, `feature` is -1 at leaves). Every split keeps
 * a goLeft table over its feature's bins (missing bin last), which is how training and validation
 * walk binned rows; numeric splits also keep the float32 threshold that predict() and the ONNX
 * graph compare raw values with.
 */
export interface FittedTree extends BinTree {
  output: number;
  thresholds: Float64Array;
  missingLeft: Uint8Array;
}

/** Grows one tree's arrays while boosting decides its splits. */
export class TreeBuilder {
  private readonly features: number[] = [-1];
  private readonly tableOffsets: number[] = [-1];
  private readonly tables: number[] = [];
  private readonly lefts: number[] = [-1];
  private readonly rights: number[] = [-1];
  private readonly thresholds: number[] = [0];
  private readonly missingLeft: number[] = [0];
  private readonly values: number[] = [0];

  constructor(
    private readonly binning: Binning,
    private readonly output: number,
  ) {}

  /** Turns leaf `node` into a split; returns [left, right] new leaf ids and the goLeft table. */
  split(node: number, choice: SplitChoice): { left: number; right: number; table: Uint8Array } {
    const f = choice.feature;
    const bins = this.binning.counts[f];
    const table = new Uint8Array(bins);
    const feature = this.binning.features[f];
    if (choice.leftCategories) table.set(choice.leftCategories);
    else table.fill(1, 0, choice.thresholdBin + 1);
    table[bins - 1] = choice.missingLeft ? 1 : 0;
    const left = this.addLeaf();
    const right = this.addLeaf();
    this.features[node] = f;
    this.tableOffsets[node] = this.tables.length;
    for (const goLeft of table) this.tables.push(goLeft);
    this.lefts[node] = left;
    this.rights[node] = right;
    this.thresholds[node] = feature.kind === 'numeric' ? feature.edges[choice.thresholdBin] : 0;
    this.missingLeft[node] = choice.missingLeft ? 1 : 0;
    return { left, right, table };
  }

  setLeafValue(node: number, value: number): void {
    this.values[node] = value;
  }

  get size(): number {
    return this.features.length;
  }

  finish(): FittedTree {
    return {
      output: this.output,
      features: Int32Array.from(this.features),
      tableOffsets: Int32Array.from(this.tableOffsets),
      tables: Uint8Array.from(this.tables),
      lefts: Int32Array.from(this.lefts),
      rights: Int32Array.from(this.rights),
      values: Float64Array.from(this.values),
      thresholds: Float64Array.from(this.thresholds),
      missingLeft: Uint8Array.from(this.missingLeft),
    };
  }

  private addLeaf(): number {
    this.features.push(-1);
    this.tableOffsets.push(-1);
    this.lefts.push(-1);
    this.rights.push(-1);
    this.thresholds.push(0);
    this.missingLeft.push(0);
    this.values.push(0);
    return this.features.length - 1;
  }
}

/** Adds the tree's leaf values to margins[row * stride + output] for binned rows. */
export function addTreeOnBins(
  tree: FittedTree,
  bins: Uint8Array | Uint16Array,
  numFeatures: number,
  margins: Float64Array,
  stride: number,
): void {
  const { features, tableOffsets, tables, lefts, rights, values, output } = tree;
  const n = bins.length / numFeatures;
  for (let r = 0; r < n; r++) {
    const base = r * numFeatures;
    let node = 0;
    while (features[node] >= 0) {
      node = tables[tableOffsets[node] + bins[base + features[node]]] === 1 ? lefts[node] : rights[node];
    }
    margins[r * stride + output] += values[node];
  }
}

/**
 * The ONNX form of a tree: numeric splits `x <= threshold`, categorical splits as the set of
 * training codes that go left; both with the learned direction for missing values.
 */
export function toOnnxTree(tree: FittedTree, binning: Binning): OnnxTree {
  const nodes: OnnxTreeNode[] = [];
  for (let node = 0; node < tree.features.length; node++) {
    const f = tree.features[node];
    if (f < 0) {
      nodes.push({ kind: 'leaf', value: tree.values[node] });
      continue;
    }
    const feature = binning.features[f];
    const missingLeft = tree.missingLeft[node] === 1;
    const left = tree.lefts[node];
    const right = tree.rights[node];
    if (feature.kind === 'numeric') {
      nodes.push({ kind: 'numeric', feature: f, threshold: tree.thresholds[node], missingLeft, left, right });
      continue;
    }
    const leftCodes: number[] = [];
    const offset = tree.tableOffsets[node];
    for (let code = 0; code < feature.valueBins; code++)
      if (tree.tables[offset + code] === 1) leftCodes.push(code);
    nodes.push({
      kind: 'categorical',
      feature: f,
      leftCodes,
      numCategories: feature.valueBins,
      missingLeft,
      left,
      right,
    });
  }
  return { target: tree.output, nodes };
}
