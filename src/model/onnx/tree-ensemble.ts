import type { RawFeature } from './encode-inputs.ts';
import { attr, ElementType, type GraphBuilder, ML_DOMAIN, tensor } from './graph.ts';

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
  /** The graph inputs by feature name (declareRawInputs): float [N, 1] numerics, string [N, 1] categoricals. */
  inputs: Readonly<Record<string, string>>;
  /** The features in the order the trees' `feature` indices use. */
  features: readonly RawFeature[];
  trees: readonly Tree[];
  /** Number of output columns (1 for binary and regression, K for multiclass). */
  numTargets: number;
  /** Added to every row's sums (length numTargets). */
  baseValues: readonly number[];
}

/**
 * Categories per block column. onnxruntime fuses a chain of BRANCH_EQ nodes on one feature that
 * share their true branch into a single bitmask test held in the node's threshold, so the mask is
 * as wide as the threshold type: 64 bits with double thresholds (32 with float). Values 1..63 are
 * used, one block of 63 categories per column.
 */
const BLOCK = 63;

/**
 * Adds an ai.onnx.ml TreeEnsembleRegressor (opset 3) summing the trees into float [N, numTargets]
 * raw scores, and returns that tensor's name.
 *
 * Why the regressor and not TreeEnsembleClassifier: its binary conventions (one score per leaf, the
 * label derived inside ORT) are easy to get subtly wrong; raw scores plus addPredictionHead is
 * explicit. Why opset 3 and not TreeEnsemble (opset 5, with BRANCH_MEMBER): Debian's onnx 1.12
 * checker does not know opset 5, and onnxruntime 1.30 tests a BRANCH_MEMBER set larger than 30
 * codes by a lookup that measured twice as slow per row as the bitmask chains below (its session
 * is smaller, though: see serving/README.md).
 *
 * A categorical split is therefore written the way ONNX converters for LightGBM write it: a chain
 * of BRANCH_EQ nodes, one per category of a set, whose true branches all lead to the same child.
 * Unfused, such a chain costs one node visit per category (slow with hundreds of airports), so
 * each categorical feature gets block columns inside the graph: block b holds 1..63 for the
 * categories 63b..63b+62 and NaN otherwise, and a `known` column, 0 for a category of the training
 * dictionary and NaN for missing or unseen values. A chain per block then fuses into one bitmask
 * test, and a split costs at most one visit per block (four for 229 airports). Thresholds are
 * doubles (`*_as_tensor`, the feature matrix cast to double) for the 64-bit masks; float32
 * features and thresholds compare the same in double. The chain lists the smaller of the set and
 * its complement; NaN equals nothing and leaves a chain through its last false branch, so when that
 * is not where missing values belong, a NaN test (`known <= +inf`, false for NaN) comes first.
 * Missing values never need `nodes_missing_value_tracks_true`: NaN fails every comparison and
 * takes the false branch, so a numeric split whose missing values go left is written `x > t` with
 * its children swapped. Without any missing-value track onnxruntime skips its NaN test at every
 * node visited, and the graph holds one attribute array fewer.
 */
export function addTreeEnsemble(graph: GraphBuilder, options: TreeEnsembleOptions): string {
  const { trees, numTargets, features } = options;
  if (options.baseValues.length !== numTargets) throw new Error('baseValues must have numTargets values');

  // The trees' own matrix: numerics as given; per categorical, its known column and block columns.
  const parts: string[] = [];
  let width = 0;
  const columnOf: number[] = [];
  const blocksOf: number[][] = [];
  features.forEach((feature) => {
    const input = options.inputs[feature.name];
    if (!input) throw new Error(`no graph input for feature ${feature.name}`);
    columnOf.push(width);
    if (feature.kind === 'numeric') {
      parts.push(input);
      width += 1;
      blocksOf.push([]);
      return;
    }
    // Column `width` is the feature's known column, its blocks follow.
    const { columns, numBlocks } = addCategoryBlocks(graph, feature.name, input, feature.dictionary);
    parts.push(columns);
    blocksOf.push(Array.from({ length: numBlocks }, (_, b) => width + 1 + b));
    width += 1 + numBlocks;
  });
  const [floats] = graph.addNode('Concat', parts, ['tree_features'], [attr.int('axis', 1)]);
  const [matrix] = graph.addNode(
    'Cast',
    [floats],
    ['tree_features_double'],
    [attr.int('to', ElementType.double)],
  );

  const nodeIds: number[] = [];
  const treeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
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
    const emit = (id: number, feature: number, mode: string, value: number, t: number, f: number) => {
      treeIds.push(treeId);
      nodeIds.push(id);
      featureIds.push(feature);
      modes.push(mode);
      values.push(value);
      trueIds.push(t);
      falseIds.push(f);
    };
    tree.nodes.forEach((node, index) => {
      let id = start[index];
      if (node.kind === 'leaf') {
        emit(id, 0, 'LEAF', 0, 0, 0);
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
        // NaN fails every comparison and takes the false branch: `x > t` with the children swapped
        // sends it left.
        const column = columnOf[node.feature];
        if (node.missingLeft) emit(id, column, 'BRANCH_GT', node.threshold, right, left);
        else emit(id, column, 'BRANCH_LEQ', node.threshold, left, right);
        return;
      }
      const plan = plans[index]!;
      const onTrue = plan.listsLeft ? left : right;
      const onFalse = plan.listsLeft ? right : left;
      const onMissing = node.missingLeft ? left : right;
      if (plan.codes.length === 0) {
        // No category goes the listed way: non-missing values all go onFalse.
        emit(id, columnOf[node.feature], 'BRANCH_LEQ', Number.POSITIVE_INFINITY, onFalse, onMissing);
        return;
      }
      if (plan.nanTest) {
        // Numbers (every category) pass `<= +inf`; NaN (missing, unseen) fails it.
        emit(id, columnOf[node.feature], 'BRANCH_LEQ', Number.POSITIVE_INFINITY, id + 1, onMissing);
        id++;
      }
      plan.codes.forEach((code, k) => {
        const last = k === plan.codes.length - 1;
        const block = blocksOf[node.feature][Math.floor(code / BLOCK)];
        emit(id + k, block, 'BRANCH_EQ', (code % BLOCK) + 1, onTrue, last ? onFalse : id + k + 1);
      });
    });
  });

  const [scores] = graph.addNode(
    'TreeEnsembleRegressor',
    [matrix],
    ['tree_scores'],
    [
      attr.string('aggregate_function', 'SUM'),
      attr.tensor('base_values_as_tensor', tensor('', 'double', [numTargets], options.baseValues)),
      attr.int('n_targets', numTargets),
      attr.ints('nodes_falsenodeids', falseIds),
      attr.ints('nodes_featureids', featureIds),
      attr.strings('nodes_modes', modes),
      attr.ints('nodes_nodeids', nodeIds),
      attr.ints('nodes_treeids', treeIds),
      attr.ints('nodes_truenodeids', trueIds),
      attr.tensor('nodes_values_as_tensor', tensor('', 'double', [values.length], values)),
      attr.string('post_transform', 'NONE'),
      attr.ints('target_ids', targetIds),
      attr.ints('target_nodeids', targetNodeIds),
      attr.ints('target_treeids', targetTreeIds),
      attr.tensor('target_weights_as_tensor', tensor('', 'double', [targetWeights.length], targetWeights)),
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

/**
 * A categorical input's tree columns, float [N, 1 + blocks]: column 0 is `known` (0, or NaN for a
 * value outside the dictionary), column 1 + b is block b (1..63, or NaN). One LabelEncoder finds
 * the category's row of a constant table and one Gather reads it: two kernels per feature, where a
 * LabelEncoder per block column would cost a string lookup and a kernel launch each.
 * Returns the tensor and its number of block columns.
 */
function addCategoryBlocks(
  graph: GraphBuilder,
  name: string,
  input: string,
  dictionary: readonly string[],
): { columns: string; numBlocks: number } {
  const categories = dictionary.length;
  const numBlocks = Math.ceil(categories / BLOCK);
  const width = 1 + numBlocks;
  const [row] = graph.addNode(
    'LabelEncoder',
    [input],
    [`${name}_row`],
    [
      attr.strings('keys_strings', dictionary),
      attr.ints(
        'values_int64s',
        dictionary.map((_, code) => code),
      ),
      // The table's last row: missing (the empty string) and unseen categories.
      attr.int('default_int64', categories),
    ],
    { domain: ML_DOMAIN, name: `tree_rows_${name}` },
  );
  const table = new Float32Array((categories + 1) * width).fill(Number.NaN);
  for (let code = 0; code < categories; code++) {
    table[code * width] = 0;
    table[code * width + 1 + Math.floor(code / BLOCK)] = (code % BLOCK) + 1;
  }
  const tableName = graph.addConstant(`${name}_tree_table`, 'float', [categories + 1, width], table);
  const [gathered] = graph.addNode('Gather', [tableName, row], [`${name}_tree_rows`], [attr.int('axis', 0)]);
  const axes = graph.addConstant('squeeze_axes', 'int64', [1], [1]);
  const [columns] = graph.addNode('Squeeze', [gathered, axes], [`${name}_tree_columns`]);
  return { columns, numBlocks };
}
