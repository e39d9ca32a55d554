import * as ort from 'onnxruntime-node';
import type { ColumnarDataset } from '../dataset/columnar.ts';
import { MISSING_CODE } from '../dataset/columnar.ts';
import { UserError } from '../errors.ts';
import type { ModelSignature } from './signature.ts';
import { PROBABILITIES_OUTPUT, VALUE_OUTPUT } from './signature.ts';

/**
 * Scores a columnar data set through onnxruntime-node, the way the service will: one [N, 1] tensor
 * per raw feature (strings for categoricals, with "" for missing; float32 for numerics, NaN for
 * missing). Returns the layout of TrainedModel.predict: the positive-class probability (binary),
 * row-major K probabilities (multiclass) or the value (regression). Rows go in batches so the string
 * tensors of millions of rows never exist at once.
 */
export interface ScoreOptions {
  batchSize?: number;
}

export const MISSING_CATEGORY = '';

export async function openSession(model: Uint8Array | ort.InferenceSession): Promise<ort.InferenceSession> {
  if (model instanceof Uint8Array) return ort.InferenceSession.create(model);
  return model;
}

export async function scoreDataset(
  model: Uint8Array | ort.InferenceSession,
  dataset: ColumnarDataset,
  signature: ModelSignature,
  options: ScoreOptions = {},
): Promise<Float64Array> {
  const session = await openSession(model);
  const batchSize = options.batchSize ?? 65_536;
  for (const input of signature.inputs) {
    const column = dataset.columns[input.name];
    if (!column)
      throw new UserError(`the data has no column "${input.name}", which the model takes as input`);
    if (column.kind !== input.kind) {
      throw new UserError(`column "${input.name}" is ${column.kind} but the model takes it as ${input.kind}`);
    }
  }
  const classification = signature.task !== 'regression';
  const width = signature.task === 'multiclass' ? (signature.classes?.length ?? 0) : 1;
  const outputName = classification ? PROBABILITIES_OUTPUT : VALUE_OUTPUT;
  const out = new Float64Array(dataset.numRows * width);
  for (let start = 0; start < dataset.numRows; start += batchSize) {
    const end = Math.min(dataset.numRows, start + batchSize);
    const rows = end - start;
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of signature.inputs) {
      const column = dataset.columns[input.name];
      if (column.kind === 'numeric') {
        feeds[input.name] = new ort.Tensor('float32', Float32Array.from(column.values.subarray(start, end)), [
          rows,
          1,
        ]);
      } else {
        const strings = new Array<string>(rows);
        for (let i = 0; i < rows; i++) {
          const code = column.codes[start + i];
          strings[i] = code === MISSING_CODE ? MISSING_CATEGORY : column.dictionary[code];
        }
        feeds[input.name] = new ort.Tensor('string', strings, [rows, 1]);
      }
    }
    const result = await session.run(feeds, [outputName]);
    const data = result[outputName].data as Float32Array;
    if (signature.task === 'binary') {
      const columns = data.length / rows;
      // Two columns [P(0), P(1)]; a single column is already P(1).
      for (let i = 0; i < rows; i++) out[start + i] = data[i * columns + columns - 1];
    } else if (signature.task === 'multiclass') {
      if (data.length !== rows * width) {
        throw new Error(
          `model returned ${data.length / rows} probabilities per row, signature has ${width} classes`,
        );
      }
      for (let i = 0; i < data.length; i++) out[start * width + i] = data[i];
    } else {
      for (let i = 0; i < rows; i++) out[start + i] = data[i];
    }
  }
  return out;
}

/** onnxruntime-node's version, for run records. */
export function onnxruntimeVersion(): string | undefined {
  return (ort.env as { versions?: { common?: string } }).versions?.common;
}
