import { attr, BATCH, type GraphBuilder, ML_DOMAIN } from './graph.ts';

/** A raw feature as the model receives it; categoricals carry their training dictionary. */
export type RawFeature =
  | { name: string; kind: 'numeric' }
  | { name: string; kind: 'categorical'; dictionary: readonly string[] };

export interface EncodedInputs {
  /** float [N, F]: column j is features[j] (numerics as given, categoricals as training codes). */
  matrix: string;
  /** float [N, 1] per feature name: the same columns before concatenation. */
  columns: Record<string, string>;
  /** Number of columns in `matrix` (the number of features). */
  width: number;
}

/**
 * Declares one graph input per raw feature (named as the feature, shape [N, 1]; string tensors for
 * categoricals, float for numerics) and encodes them into one float [N, F] matrix:
 * - a categorical becomes its code in the training dictionary through ai.onnx.ml LabelEncoder;
 *   strings the dictionary does not hold (unseen categories, and the empty string, which callers
 *   send for a missing value) become NaN, so models treat unseen exactly like missing;
 * - a numeric passes through; NaN is missing.
 * This is the same encoding as ColumnarDataset's codes (-1 missing is NaN here), so a model trained
 * on codes sees identical values in the graph.
 */
export function addRawFeatureInputs(graph: GraphBuilder, features: readonly RawFeature[]): EncodedInputs {
  const inputs = declareRawInputs(graph, features);
  const columns: Record<string, string> = {};
  for (const feature of features) {
    if (feature.kind === 'numeric') {
      columns[feature.name] = inputs[feature.name];
      continue;
    }
    const input = inputs[feature.name];
    const dictionary = feature.dictionary;
    const [code] = graph.addNode(
      'LabelEncoder',
      [input],
      [`${feature.name}_code`],
      [
        attr.strings('keys_strings', dictionary),
        attr.floats(
          'values_floats',
          dictionary.map((_, index) => index),
        ),
        attr.float('default_float', Number.NaN),
      ],
      { domain: ML_DOMAIN, name: `encode_${feature.name}` },
    );
    columns[feature.name] = code;
  }
  const [matrix] = graph.addNode(
    'Concat',
    features.map((feature) => columns[feature.name]),
    ['features'],
    [attr.int('axis', 1)],
  );
  return { matrix, columns, width: features.length };
}

/**
 * Declares one graph input per raw feature (named as the feature, shape [N, 1]: string for
 * categoricals, float for numerics) without encoding them, for trainers that encode in their own
 * way (the tree ensemble's block columns). Returns the input names by feature name. A
 * categorical's dictionary must not repeat a value: codes are positions in it.
 */
export function declareRawInputs(
  graph: GraphBuilder,
  features: readonly RawFeature[],
): Record<string, string> {
  if (features.length === 0) throw new Error('a model needs at least one feature');
  const inputs: Record<string, string> = {};
  for (const feature of features) {
    if (feature.kind === 'categorical' && new Set(feature.dictionary).size !== feature.dictionary.length) {
      throw new Error(`categorical feature ${feature.name}: its dictionary repeats a value`);
    }
    inputs[feature.name] = graph.addInput(feature.name, feature.kind === 'numeric' ? 'float' : 'string', [
      BATCH,
      1,
    ]);
  }
  return inputs;
}
