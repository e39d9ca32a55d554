import type { FeatureSpec } from '../config/spec.ts';
import type { ColumnarDataset } from '../dataset/columnar.ts';
import type { ModelSignature } from '../model/signature.ts';

/**
 * What every built-in trainer (gradient-boosted trees, linear) provides, so the train step can
 * run, score, export and compare any of them the same way.
 */
export type Params = Record<string, number | string | boolean>;

export interface TrainInput {
  features: FeatureSpec[];
  task: 'binary' | 'multiclass' | 'regression';
  train: ColumnarDataset;
  /** Labels as numbers: 0/1 for binary, 0..K-1 for multiclass, values for regression. */
  trainLabels: Float64Array;
  validation?: ColumnarDataset;
  validationLabels?: Float64Array;
  params: Params;
  /** Long work reports here; the CLI shows it, actions log it. */
  onProgress?: (message: string) => void;
}

export interface TrainedModel {
  /** Scores: probability of the positive class (binary), row-major K probabilities (multiclass), values (regression). */
  predict(dataset: ColumnarDataset): Float64Array;
  /** The ONNX model: raw feature columns in, preprocessing inside the graph, label and probabilities out. */
  toOnnx(signature: ModelSignature): Uint8Array;
  featureImportance(): Record<string, number>;
  /** What the trainer actually used (defaults filled in, trees kept after early stopping). */
  params: Params;
}

export type Trainer = (input: TrainInput) => Promise<TrainedModel>;
