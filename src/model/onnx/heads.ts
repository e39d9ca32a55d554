import { LABEL_OUTPUT, PROBABILITIES_OUTPUT, type SignatureOutput, VALUE_OUTPUT } from '../signature.ts';
import { attr, BATCH, type GraphBuilder } from './graph.ts';

export type Task = 'binary' | 'multiclass' | 'regression';

/**
 * Turns raw scores (margins) into the model's outputs, the same way for every trainer:
 * - binary: margins float [N, 1] (log-odds of class 1) -> `probabilities` [N, 2] = [1 - p, p]
 *   with p = sigmoid(margin), `label` int64 [N] = argmax (ties go to class 0, i.e. p > 0.5 is 1);
 * - multiclass: margins float [N, K] -> `probabilities` = softmax, `label` = argmax (first on ties);
 * - regression: margins float [N, 1] -> `value` float [N].
 * Labels are class indices 0..K-1 (TrainInput's label encoding).
 */
export function addPredictionHead(graph: GraphBuilder, margins: string, task: Task, numClasses = 2): void {
  if (task === 'regression') {
    const axes = graph.addConstant('squeeze_axes', 'int64', [1], [1]);
    graph.addNode('Squeeze', [margins, axes], [VALUE_OUTPUT], [], { exactOutputs: true });
    graph.addOutput(VALUE_OUTPUT, 'float', [BATCH]);
    return;
  }
  let probabilities: string;
  if (task === 'binary') {
    const [positive] = graph.addNode('Sigmoid', [margins], ['p_positive']);
    const one = graph.addConstant('one', 'float', [], [1]);
    const [negative] = graph.addNode('Sub', [one, positive], ['p_negative']);
    [probabilities] = graph.addNode(
      'Concat',
      [negative, positive],
      [PROBABILITIES_OUTPUT],
      [attr.int('axis', 1)],
      { exactOutputs: true },
    );
    numClasses = 2;
  } else {
    [probabilities] = graph.addNode('Softmax', [margins], [PROBABILITIES_OUTPUT], [attr.int('axis', 1)], {
      exactOutputs: true,
    });
  }
  graph.addNode(
    'ArgMax',
    [probabilities],
    [LABEL_OUTPUT],
    [attr.int('axis', 1), attr.int('keepdims', 0), attr.int('select_last_index', 0)],
    { exactOutputs: true },
  );
  graph.addOutput(PROBABILITIES_OUTPUT, 'float', [BATCH, numClasses]);
  graph.addOutput(LABEL_OUTPUT, 'int64', [BATCH]);
}

/** The outputs addPredictionHead declares, for the model signature (-1 is the batch dimension). */
export function predictionOutputs(task: Task, numClasses = 2): SignatureOutput[] {
  if (task === 'regression') return [{ name: VALUE_OUTPUT, type: 'float', shape: [-1] }];
  const k = task === 'binary' ? 2 : numClasses;
  return [
    { name: PROBABILITIES_OUTPUT, type: 'float', shape: [-1, k] },
    { name: LABEL_OUTPUT, type: 'int64', shape: [-1] },
  ];
}
