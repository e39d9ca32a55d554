import type { EncodedInputs, RawFeature } from './encode-inputs.ts';
import { attr, type GraphBuilder, ML_DOMAIN } from './graph.ts';

/**
 * One node of a decision tree; `feature` indexes TreeEnsembleOptions.features. Children are
 * indices into the tree's `nodes`; `nodes[0]` is the root.
 * - numeric: `x <= threshold` goes left; threshold must be a float32 value (the graph is float).
 * - categorical: codes in `leftCodes` go left, other codes right; `numCategories` is the size of
 *   the training dictionary (codes 0..numCategories-1).
 * In both, a missing value (NaN: also unseen categories) goes left when `missingLeft`.
 */
export type TreeNode =
  | { kind: 'leaf'; value: number }
  | {
      kind: 'numeric';
      feature: number;
      threshold: number;
      missingLeft: boolean;
      left: number;
      right: number;
    }
  | {
      kind: 'categorical';
      feature: number;
      leftCodes: readonly number[];
      numCategories: number;
      missingLeft: boolean;
      left: number;
      right: number;
    };

export interface Tree {
  /** Which output column (class for multiclass, 0 otherwise) the tree's leaves add to. */
  target: number;
  nodes: readonly TreeNode[];
}

export interface TreeEnsembleOptions {
  /** The encoded raw inputs (addRawFeatureInputs). */
  inputs: EncodedInputs;
  /** The features in the order the trees' `feature` indices use (as given to addRawFeatureInputs). */
  features: readonly RawFeature[];
  trees: readonly Tree[];
  /** Number of output columns (1 for binary and regression, K for multiclass). */
  numTargets: number;
  /** Added to every row's sums (length numTargets). */
  baseValues: readonly number[];
}

/**
 * Categories per block column. onnxruntime fuses a chain of BRANCH_EQ nodes on one feature that
 * share their true branch into a single bitmask test, but only when every compared value fits the
 * 32-bit mask; values 1..31 are used (one block of 31 categories per column).
 */
const BLOCK = 31;

/**
 * Adds an ai.onnx.ml TreeEnsembleRegressor (opset 3) summing the trees into float [N, numTargets]
 * raw scores, and returns that tensor's name.
 *
 * Why the regressor and not TreeEnsembleClassifier: its binary conventions (one score per leaf, the
 * label derived inside ORT) are easy to get subtly wrong; raw scores plus addPredictionHead is
 * explicit. Why opset 3 and not TreeEnsemble (opset 5, with BRANCH_MEMBER): Debian's onnx 1.12
 * checker does not know opset 5.
 *
 * A categorical split is therefore written the way ONNX converters for LightGBM write it: a chain
 * of BRANCH_EQ nodes, one per category of a set, whose true branches all lead to the same child.
 * Unfused, such a chain costs one node visit per category (slow with hundreds of airports), so
 * each categorical feature is also given block columns inside the graph: block b holds 1..31 for
 * the categories 31b..31b+30 and NaN otherwise. A chain per block then fuses into one bitmask test,
 * and a split costs at most one visit per block. The chain lists the smaller of the set and its
 * complement; NaN equals nothing and leaves a chain through its last false branch, so when that
 * is not where missing values belong, a NaN test (`code <= +inf`, false for NaN) comes first.
 */
export function addTreeEnsemble(graph: GraphBuilder, options: TreeEnsembleOptions): string {
  const { trees, numTargets, features } = options;
  if (options.baseValues.length !== numTargets) throw new Error('baseValues must have numTargets values');

  // The trees' own matrix: numerics, and per categorical its code column plus block columns.
  const columns: string[] = [];
  const columnOf: number[] = [];
  const blocksOf: number[][] = [];
  features.forEach((feature) => {
    columnOf.push(columns.length);
    columns.push(options.inputs.columns[feature.name]);
    const blocks: number[] = [];
    if (feature.kind === 'categorical') {
      for (let start = 0; start < feature.dictionary.length; start += BLOCK) {
        const keys = feature.dictionary.slice(start, start + BLOCK);
        const [block] = graph.addNode(
          'LabelEncoder',
          [feature.name],
          [`${feature.name}_block`],
          [
            attr.strings('keys_strings', keys),
            attr.floats(
              'values_floats',
              keys.map((_, i) => i + 1),
            ),
            attr.float('default_float', Number.NaN),
          ],
          { domain: ML_DOMAIN, name: `block_${feature.name}` },
        );
        blocks.push(columns.length);
        columns.push(block);
      }
    }
    blocksOf.push(blocks);
  });
  const [matrix] = graph.addNode('Concat', columns, ['tree_features'], [attr.int('axis', 1)]);

  const nodeIds: number[] = [];
  const treeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTrue: number[] = [];
  const targetTreeIds: number[] = [];
  const targetNodeIds: number[] = [];
  const targetIds: number[] = [];
  const targetWeights: number[] = [];

  trees.forEach((tree, treeId) => {
    if (tree.target < 0 || tree.target >= numTargets) throw new Error(`tree ${treeId}: bad target`);
    // First pass: the ONNX nodes each tree node becomes, hence where each one starts.
    const plans = tree.nodes.map((node) => (node.kind === 'categorical' ? planCategorical(node) : null));
    const start: number[] = [];
    let next = 0;
    tree.nodes.forEach((_, index) => {
      start.push(next);
      const plan = plans[index];
      next += plan ? Math.max(1, plan.codes.length + (plan.nanTest ? 1 : 0)) : 1;
    });
    const emit = (
      id: number,
      feature: number,
      mode: string,
      value: number,
      t: number,
      f: number,
      m: boolean,
    ) => {
      treeIds.push(treeId);
      nodeIds.push(id);
      featureIds.push(feature);
      modes.push(mode);
      values.push(value);
      trueIds.push(t);
      falseIds.push(f);
      missingTrue.push(m ? 1 : 0);
    };
    tree.nodes.forEach((node, index) => {
      let id = start[index];
      if (node.kind === 'leaf') {
        emit(id, 0, 'LEAF', 0, 0, 0, false);
        targetTreeIds.push(treeId);
        targetNodeIds.push(id);
        targetIds.push(tree.target);
        targetWeights.push(node.value);
        return;
      }
      if (node.feature < 0 || node.feature >= features.length) throw new Error(`tree ${treeId}: bad feature`);
      const left = start[node.left];
      const right = start[node.right];
      if (node.kind === 'numeric') {
        emit(id, columnOf[node.feature], 'BRANCH_LEQ', node.threshold, left, right, node.missingLeft);
        return;
      }
      const plan = plans[index]!;
      const onTrue = plan.listsLeft ? left : right;
      const onFalse = plan.listsLeft ? right : left;
      const onMissing = node.missingLeft ? left : right;
      if (plan.codes.length === 0) {
        // No category goes the listed way: non-missing values all go onFalse.
        emit(id, columnOf[node.feature], 'BRANCH_LEQ', Number.POSITIVE_INFINITY, onFalse, onMissing, false);
        return;
      }
      if (plan.nanTest) {
        // Numbers (every category) pass `<= +inf`; NaN (missing, unseen) fails it.
        emit(id, columnOf[node.feature], 'BRANCH_LEQ', Number.POSITIVE_INFINITY, id + 1, onMissing, false);
        id++;
      }
      plan.codes.forEach((code, k) => {
        const last = k === plan.codes.length - 1;
        const block = blocksOf[node.feature][Math.floor(code / BLOCK)];
        emit(id + k, block, 'BRANCH_EQ', (code % BLOCK) + 1, onTrue, last ? onFalse : id + k + 1, false);
      });
    });
  });

  const [scores] = graph.addNode(
    'TreeEnsembleRegressor',
    [matrix],
    ['tree_scores'],
    [
      attr.string('aggregate_function', 'SUM'),
      attr.floats('base_values', options.baseValues),
      attr.int('n_targets', numTargets),
      attr.ints('nodes_falsenodeids', falseIds),
      attr.ints('nodes_featureids', featureIds),
      attr.ints('nodes_missing_value_tracks_true', missingTrue),
      attr.strings('nodes_modes', modes),
      attr.ints('nodes_nodeids', nodeIds),
      attr.ints('nodes_treeids', treeIds),
      attr.ints('nodes_truenodeids', trueIds),
      attr.floats('nodes_values', values),
      attr.string('post_transform', 'NONE'),
      attr.ints('target_ids', targetIds),
      attr.ints('target_nodeids', targetNodeIds),
      attr.ints('target_treeids', targetTreeIds),
      attr.floats('target_weights', targetWeights),
    ],
    { domain: ML_DOMAIN, name: 'trees' },
  );
  return scores;
}

/**
 * How a categorical split is written: the codes its chain lists (sorted, so each block's codes are
 * consecutive), whether a match goes left, and whether missing values need a NaN test first
 * (they would otherwise leave through the chain's last false branch).
 */
function planCategorical(node: Extract<TreeNode, { kind: 'categorical' }>): {
  codes: number[];
  listsLeft: boolean;
  nanTest: boolean;
} {
  const left = new Set(node.leftCodes);
  const right: number[] = [];
  for (let code = 0; code < node.numCategories; code++) if (!left.has(code)) right.push(code);
  const listsLeft = left.size <= right.length;
  const codes = listsLeft ? [...left].sort((a, b) => a - b) : right;
  // The chain's last false branch goes right when it lists the left set, left otherwise.
  const nanTest = node.missingLeft === listsLeft;
  return { codes, listsLeft, nanTest };
}
