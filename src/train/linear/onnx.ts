import type { FeatureSpec } from '../../config/spec.ts';
import {
  addPredictionHead,
  addRawFeatureInputs,
  assembleModel,
  attr,
  GraphBuilder,
  type RawFeature,
} from '../../model/onnx/index.ts';
import type { ModelSignature } from '../../model/signature.ts';
import type { LinearEncoding } from './encoding.ts';
import type { LinearTask } from './model.ts';

/**
 * The linear model as an ONNX graph over the raw columns (shared input encoding and prediction head
 * from src/model/onnx): numerics are concatenated, missing values (NaN) replaced by the training mean
 * and standardised with Sub/Div; each categorical's training code (NaN when unseen or missing) is
 * one-hot encoded by Equal against 0..K-1 and Cast, so unseen and missing give an all-zero row as in
 * training; one MatMul + Add gives the margins, and the head adds sigmoid/softmax and the label.
 */
export interface LinearOnnxInput {
  task: LinearTask;
  features: FeatureSpec[];
  encoding: LinearEncoding;
  /** (width + 1) x outputs, row-major, row 0 the intercepts. */
  weights: Float64Array;
  outputs: number;
  classes: number;
  signature: ModelSignature;
  metadata?: Record<string, string>;
}

export function linearToOnnx(model: LinearOnnxInput): Uint8Array {
  const { encoding, weights, outputs } = model;
  const graph = new GraphBuilder();
  const categories = new Map(encoding.categorical.map((f) => [f.name, f.categories]));
  const raw: RawFeature[] = model.features.map((feature) =>
    feature.kind === 'numeric'
      ? { name: feature.name, kind: 'numeric' }
      : { name: feature.name, kind: 'categorical', dictionary: categories.get(feature.name) ?? [] },
  );
  const signatureNames = model.signature.inputs.map((input) => input.name).join(',');
  if (signatureNames !== raw.map((feature) => feature.name).join(',')) {
    throw new Error(`linear ONNX: signature inputs (${signatureNames}) differ from the features`);
  }
  const { columns } = addRawFeatureInputs(graph, raw);

  const blocks: string[] = [];
  if (encoding.numeric.length > 0) {
    const p = encoding.numeric.length;
    const names = encoding.numeric.map((feature) => columns[feature.name]);
    const [values] = p === 1 ? names : graph.addNode('Concat', names, ['numeric'], [attr.int('axis', 1)]);
    const mean = graph.addConstant(
      'numeric_mean',
      'float',
      [p],
      encoding.numeric.map((f) => f.mean),
    );
    const std = graph.addConstant(
      'numeric_std',
      'float',
      [p],
      encoding.numeric.map((f) => f.std),
    );
    const [missing] = graph.addNode('IsNaN', [values], ['numeric_missing']);
    const [imputed] = graph.addNode('Where', [missing, mean, values], ['numeric_imputed']);
    const [centred] = graph.addNode('Sub', [imputed, mean], ['numeric_centred']);
    const [standardised] = graph.addNode('Div', [centred, std], ['numeric_standardised']);
    blocks.push(standardised);
  }
  for (const feature of encoding.categorical) {
    const k = feature.categories.length;
    if (k === 0) continue; // Never seen in training: contributes nothing.
    const codes = graph.addConstant(
      `${feature.name}_codes`,
      'float',
      [k],
      feature.categories.map((_, i) => i),
    );
    // [N, 1] == [K] broadcasts to [N, K]; NaN (unseen, missing) equals nothing: an all-zero row.
    const [hits] = graph.addNode('Equal', [columns[feature.name], codes], [`${feature.name}_hits`]);
    const [onehot] = graph.addNode('Cast', [hits], [`${feature.name}_onehot`], [attr.int('to', 1)]);
    blocks.push(onehot);
  }

  const intercept = graph.addConstant('intercept', 'float', [outputs], weights.subarray(0, outputs));
  if (blocks.length === 0) throw new Error('linear ONNX: no feature has a value in the training data');
  const [design] =
    blocks.length === 1 ? blocks : graph.addNode('Concat', blocks, ['design'], [attr.int('axis', 1)]);
  const coefficients = graph.addConstant(
    'coefficients',
    'float',
    [encoding.width, outputs],
    weights.subarray(outputs),
  );
  const [product] = graph.addNode('MatMul', [design, coefficients], ['product']);
  const [margins] = graph.addNode('Add', [product, intercept], ['margins']);
  addPredictionHead(graph, margins, model.task, model.classes);
  return assembleModel(graph, {
    graphName: 'mlship_linear',
    docString: `mlship linear model (${model.task})`,
    metadata: { 'mlship.signature': JSON.stringify(model.signature), ...model.metadata },
  });
}
