import { attr, type GraphBuilder, ML_DOMAIN } from './graph.ts';

/**
 * One node of a decision tree over the encoded feature matrix (see encode-inputs.ts). Children are
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
  /** float [N, F] input (EncodedInputs.matrix). */
  input: string;
  trees: readonly Tree[];
  /** Number of output columns (1 for binary and regression, K for multiclass). */
  numTargets: number;
  /** Added to every row's sums (length numTargets). */
  baseValues: readonly number[];
}

/**
 * Adds an ai.onnx.ml TreeEnsembleRegressor (opset 3) summing the trees into float [N, numTargets]
 * raw scores, and returns that tensor's name.
 *
 * Why the regressor and not TreeEnsembleClassifier: its binary conventions (one score per leaf, the
 * label derived inside ORT) are easy to get subtly wrong; raw scores plus addPredictionHead is
 * explicit. Why opset 3 and not TreeEnsemble (opset 5, with BRANCH_MEMBER): Debian's onnx 1.12
 * checker does not know opset 5. A categorical split is therefore written the way ONNX converters
 * for LightGBM write it: a chain of BRANCH_EQ nodes, one per category in the set, whose true
 * branches all lead to the same child; onnxruntime runs such chains as one set-membership test.
 * NaN equals nothing, so it leaves a chain through its last false branch: when missing values go
 * left, the chain lists the complement set and its true branches lead right instead.
 */
export function addTreeEnsemble(graph: GraphBuilder, options: TreeEnsembleOptions): string {
  const { trees, numTargets } = options;
  if (options.baseValues.length !== numTargets) throw new Error('baseValues must have numTargets values');
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
    // First pass: how many ONNX nodes each tree node takes, hence where each one starts.
    const chains = tree.nodes.map((node) => (node.kind === 'categorical' ? chainOf(node) : null));
    const start: number[] = [];
    let next = 0;
    tree.nodes.forEach((_, index) => {
      start.push(next);
      next += Math.max(1, chains[index]?.codes.length ?? 1);
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
      const id = start[index];
      if (node.kind === 'leaf') {
        emit(id, 0, 'LEAF', 0, 0, 0, false);
        targetTreeIds.push(treeId);
        targetNodeIds.push(id);
        targetIds.push(tree.target);
        targetWeights.push(node.value);
        return;
      }
      const left = start[node.left];
      const right = start[node.right];
      if (node.kind === 'numeric') {
        emit(id, node.feature, 'BRANCH_LEQ', node.threshold, left, right, node.missingLeft);
        return;
      }
      const chain = chains[index]!;
      if (chain.codes.length === 0) {
        // Every code and missing go the same way.
        const both = node.missingLeft ? left : right;
        emit(id, node.feature, 'BRANCH_LEQ', Number.POSITIVE_INFINITY, both, both, true);
        return;
      }
      const onTrue = chain.onTrue ? right : left;
      const onFalse = chain.onTrue ? left : right;
      chain.codes.forEach((code, k) => {
        const last = k === chain.codes.length - 1;
        emit(id + k, node.feature, 'BRANCH_EQ', code, onTrue, last ? onFalse : id + k + 1, false);
      });
    });
  });

  const [scores] = graph.addNode(
    'TreeEnsembleRegressor',
    [options.input],
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
 * The codes a categorical split's BRANCH_EQ chain tests, and whether a match goes right
 * (`onTrue`: true when the chain lists the complement because missing values go left).
 */
function chainOf(node: Extract<TreeNode, { kind: 'categorical' }>): { codes: number[]; onTrue: boolean } {
  if (!node.missingLeft) return { codes: [...node.leftCodes].sort((a, b) => a - b), onTrue: false };
  const left = new Set(node.leftCodes);
  const codes: number[] = [];
  for (let code = 0; code < node.numCategories; code++) if (!left.has(code)) codes.push(code);
  return { codes, onTrue: true };
}
