import { z } from 'zod';

/**
 * The model's contract with the world: one input per raw feature column, named as in the data set
 * (string tensors for categoricals, float tensors for numerics, each shaped [N, 1]); outputs the
 * label and the probabilities (binary/multiclass) or the value (regression). Serving derives its
 * request schemas from this; the registry stores it.
 */
export interface SignatureInput {
  name: string;
  kind: 'categorical' | 'numeric';
  /** ONNX element type of the input tensor. */
  type: 'string' | 'float';
}

export interface SignatureOutput {
  name: string;
  /** ONNX element type. */
  type: 'int64' | 'float' | 'string';
  /** Shape with -1 for the batch dimension. */
  shape: number[];
}

export interface ModelSignature {
  task: 'binary' | 'multiclass' | 'regression';
  inputs: SignatureInput[];
  outputs: SignatureOutput[];
  /** Class labels in probability-column order (classification only). */
  classes?: Array<number | string>;
}

/** Output names every exported model uses. */
export const LABEL_OUTPUT = 'label';
export const PROBABILITIES_OUTPUT = 'probabilities';
export const VALUE_OUTPUT = 'value';

/** The signature as stored in run records and registry entries, validated on read. */
export const modelSignatureSchema = z.strictObject({
  task: z.enum(['binary', 'multiclass', 'regression']),
  inputs: z.array(
    z.strictObject({
      name: z.string(),
      kind: z.enum(['categorical', 'numeric']),
      type: z.enum(['string', 'float']),
    }),
  ),
  outputs: z.array(
    z.strictObject({
      name: z.string(),
      type: z.enum(['int64', 'float', 'string']),
      shape: z.array(z.number()),
    }),
  ),
  classes: z.array(z.union([z.number(), z.string()])).optional(),
});
