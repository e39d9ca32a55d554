/**
 * Building ONNX models in TypeScript, shared by the built-in trainers.
 *
 * A model is built in four steps:
 *
 *   const graph = new GraphBuilder();
 *   const { matrix, columns } = addRawFeatureInputs(graph, rawFeatures);   // inputs + encoding
 *   const margins = ...;                                                    // trainer-specific
 *   addPredictionHead(graph, margins, task, numClasses);                   // label/probabilities/value
 *   const bytes = assembleModel(graph, { metadata });                      // ModelProto bytes
 *
 * - `addRawFeatureInputs(graph, features)` declares one input per raw feature (named as the
 *   column, [N, 1]; string for categoricals, float for numerics) and returns `matrix`, a float
 *   [N, F] tensor whose column j is features[j]: numerics as given (NaN missing), categoricals as
 *   their code in the training dictionary (unseen and missing, i.e. the empty string, become NaN).
 *   `columns[name]` is the same value as a float [N, 1] tensor, for per-feature work such as
 *   standardisation (Sub/Div against constants) or one-hot (Equal against a code range, Cast).
 * - `declareRawInputs(graph, features)` declares the same inputs without encoding them, for
 *   `addTreeEnsemble(graph, { inputs, features, trees, numTargets, baseValues })`, which returns
 *   float [N, numTargets] raw scores from trees whose `feature` indices follow `features` (numeric
 *   `<=` splits and categorical set splits, each with a learned direction for missing values). It
 *   encodes categoricals into its own block columns (see tree-ensemble.ts) so onnxruntime tests
 *   sets as 64-bit masks.
 * - `addPredictionHead(graph, margins, task, numClasses)` turns raw scores into the outputs every
 *   model shares: binary margins [N, 1] -> `probabilities` [N, 2] and `label` int64 [N];
 *   multiclass margins [N, K] -> softmax `probabilities` and `label`; regression [N, 1] -> `value`
 *   [N]. `predictionOutputs(task, K)` lists them for the ModelSignature.
 * - Lower level: `GraphBuilder` (`addNode(op, inputs, outputPrefixes, attrs, {domain})`,
 *   `addConstant`, `addInput`, `addOutput`, `uniqueName`), `attr.*` attribute constructors,
 *   `tensor()`, and `assembleModel()` which pins IR 8, ai.onnx opset 17 and ai.onnx.ml opset 3
 *   (what Debian's python3-onnx 1.12 checker accepts, and onnxruntime-node 1.30 runs).
 */
export {
  addRawFeatureInputs,
  declareRawInputs,
  type EncodedInputs,
  type RawFeature,
} from './encode-inputs.ts';
export {
  type AssembleOptions,
  assembleModel,
  attr,
  BATCH,
  DEFAULT_OPSET,
  GraphBuilder,
  IR_VERSION,
  ML_DOMAIN,
  ML_OPSET,
  tensor,
  valueInfo,
} from './graph.ts';
export { addPredictionHead, predictionOutputs, type Task } from './heads.ts';
export { addTreeEnsemble, type Tree, type TreeEnsembleOptions, type TreeNode } from './tree-ensemble.ts';
