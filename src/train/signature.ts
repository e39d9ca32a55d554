import type { FeatureSpec } from '../config/spec.ts';
import { predictionOutputs } from '../model/onnx/index.ts';
import type { ModelSignature } from '../model/signature.ts';

/**
 * The signature every exported model honours: one [N, 1] input per feature in spec order (string for
 * categoricals, float for numerics); outputs from the shared prediction head
 * (`probabilities` [N, K] and `label` [N] for classification, `value` [N] for regression).
 */
export function signatureFor(
  features: FeatureSpec[],
  task: ModelSignature['task'],
  classCount = task === 'binary' ? 2 : 0,
): ModelSignature {
  const inputs = features.map((feature) => ({
    name: feature.name,
    kind: feature.kind,
    type: feature.kind === 'categorical' ? ('string' as const) : ('float' as const),
  }));
  if (task === 'regression') return { task, inputs, outputs: predictionOutputs(task) };
  return {
    task,
    inputs,
    outputs: predictionOutputs(task, classCount),
    classes: Array.from({ length: classCount }, (_, k) => k),
  };
}
