import * as ort from 'onnxruntime-node';
import { LABEL_OUTPUT, PROBABILITIES_OUTPUT, VALUE_OUTPUT } from '../model/signature.ts';
import { type ColumnBatch, contractFromMetadata, type ModelContract, type ValueInfo } from './contract.ts';

/**
 * One onnxruntime session and the code that feeds it a column batch. Used in the inference
 * worker threads and, with `workers: 0`, on the main thread. Each session gets one intra-op
 * thread: parallelism comes from running one session per core, not from splitting small batches.
 */
export interface BatchOutputs {
  rows: number;
  /** Classification: the label per row (int64 labels as numbers). */
  labels?: Float64Array | string[];
  /** Classification: row-major [rows, classes]. */
  probabilities?: Float32Array;
  classes: number;
  /** Regression: the value per row. */
  values?: Float32Array;
  /** Time spent in onnxruntime for this batch. */
  seconds: number;
}

export interface LoadedSession {
  session: ort.InferenceSession;
  contract: ModelContract;
}

export async function createSession(model: Uint8Array): Promise<LoadedSession> {
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const info = (meta: readonly ort.InferenceSession.ValueMetadata[]): ValueInfo[] =>
    meta.map((m) =>
      m.isTensor
        ? { name: m.name, isTensor: true, type: m.type, shape: m.shape }
        : { name: m.name, isTensor: false },
    );
  const contract = contractFromMetadata(info(session.inputMetadata), info(session.outputMetadata));
  return { session, contract };
}

export async function runSession(loaded: LoadedSession, batch: ColumnBatch): Promise<BatchOutputs> {
  const { session, contract } = loaded;
  const feeds: Record<string, ort.Tensor> = {};
  contract.inputs.forEach((input, c) => {
    const column = batch.columns[c];
    feeds[input.name] =
      input.type === 'string'
        ? new ort.Tensor('string', column as string[], [batch.rows, 1])
        : new ort.Tensor('float32', column as Float32Array, [batch.rows, 1]);
  });
  const started = process.hrtime.bigint();
  if (contract.task === 'regression') {
    const out = await session.run(feeds, [VALUE_OUTPUT]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const values = Float32Array.from(out[VALUE_OUTPUT].data as Float32Array);
    return { rows: batch.rows, values, classes: 0, seconds };
  }
  const out = await session.run(feeds, [LABEL_OUTPUT, PROBABILITIES_OUTPUT]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const labelData = out[LABEL_OUTPUT].data;
  let labels: Float64Array | string[];
  if (labelData instanceof BigInt64Array) {
    labels = new Float64Array(batch.rows);
    for (let i = 0; i < batch.rows; i++) labels[i] = Number(labelData[i]);
  } else if (Array.isArray(labelData)) labels = labelData as string[];
  else labels = Float64Array.from(labelData as ArrayLike<number>);
  const probabilities = Float32Array.from(out[PROBABILITIES_OUTPUT].data as Float32Array);
  const classes = batch.rows > 0 ? probabilities.length / batch.rows : 0;
  return { rows: batch.rows, labels, probabilities, classes, seconds };
}
