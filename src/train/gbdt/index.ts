import type { Trainer } from '../trainer.ts';
import { boost } from './booster.ts';
import { GbdtModel } from './model.ts';
import { parseGbdtParams } from './params.ts';

/**
 * The built-in gradient-boosted trees trainer (mlship.yaml `trainer: {type: gbdt, params}`; see
 * params.ts for the parameters and their defaults). Histogram trees with native categorical
 * splits, learned directions for missing values, early stopping on the validation split and
 * worker threads for the row work; the model exports to ONNX with the encoding inside the graph.
 */
export const trainGbdt: Trainer = async (input) => {
  const params = parseGbdtParams(input.params);
  const started = performance.now();
  const result = await boost({
    features: input.features,
    task: input.task,
    train: input.train,
    labels: input.trainLabels,
    validation: input.validation,
    validationLabels: input.validationLabels,
    params,
    onProgress: input.onProgress,
  });
  input.onProgress?.(
    `gbdt: ${result.trees.length} trees in ${((performance.now() - started) / 1000).toFixed(1)} s on ${result.threads} thread(s)`,
  );
  const used = { ...params, trees: result.rounds, threads: result.threads };
  return new GbdtModel(input.features, input.task, result, used, result.gains);
};

export { GbdtModel } from './model.ts';
export { type GbdtParams, parseGbdtParams } from './params.ts';
