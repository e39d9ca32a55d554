import type { FeatureSpec } from '../../config/spec.ts';
import type { ColumnarDataset } from '../../dataset/columnar.ts';
import {
  addPredictionHead,
  addTreeEnsemble,
  assembleModel,
  declareRawInputs,
  GraphBuilder,
} from '../../model/onnx/index.ts';
import type { ModelSignature } from '../../model/signature.ts';
import type { Params, TrainedModel } from '../trainer.ts';
import { type Binning, trainingCodes } from './binning.ts';
import type { BoostResult } from './booster.ts';
import { type FittedTree, toOnnxTree } from './tree.ts';

/**
 * A trained tree ensemble. predict() walks the trees on raw values exactly as the ONNX graph does
 * (float32 inputs against float32 thresholds, categories by their training code, unseen and
 * missing alike), so the two agree to float rounding of the sums.
 */
export class GbdtModel implements TrainedModel {
  private readonly binning: Binning;
  private readonly trees: FittedTree[];
  private readonly baseMargins: Float64Array;
  private readonly numOutputs: number;

  constructor(
    private readonly features: readonly FeatureSpec[],
    private readonly task: 'binary' | 'multiclass' | 'regression',
    result: BoostResult,
    readonly params: Params,
    private readonly gains: Float64Array,
  ) {
    this.binning = result.binning;
    this.trees = result.trees;
    this.baseMargins = result.baseMargins;
    this.numOutputs = result.numOutputs;
  }

  get numTrees(): number {
    return this.trees.length;
  }

  /** Leaves per tree (for diagnostics and tests). */
  leafCounts(): number[] {
    return this.trees.map((tree) => tree.features.filter((feature) => feature < 0).length);
  }

  /** Raw scores [rows * outputs]: log-odds (binary), class scores (multiclass), values (regression). */
  margins(dataset: ColumnarDataset): Float64Array {
    const n = dataset.numRows;
    const K = this.numOutputs;
    const columns = this.binning.features.map((feature) => {
      const column = dataset.columns[feature.name];
      if (!column) throw new Error(`data to predict has no column ${feature.name}`);
      if (feature.kind === 'categorical') {
        if (column.kind !== 'categorical') throw new Error(`column ${feature.name} is not categorical`);
        const codes = trainingCodes(column.codes, column.dictionary, feature.dictionary);
        // Codes as floats with NaN for missing: the same values the ONNX graph's encoder makes.
        return Float64Array.from(codes, (code) => (code < 0 ? Number.NaN : code));
      }
      if (column.kind !== 'numeric') throw new Error(`column ${feature.name} is not numeric`);
      return column.values.map(Math.fround);
    });
    const out = new Float64Array(n * K);
    for (let r = 0; r < n; r++) for (let k = 0; k < K; k++) out[r * K + k] = this.baseMargins[k];
    for (const tree of this.trees) {
      const { features, thresholds, tables, tableOffsets, missingLeft, lefts, rights, values, output } = tree;
      for (let r = 0; r < n; r++) {
        let node = 0;
        while (features[node] >= 0) {
          const f = features[node];
          const x = columns[f][r];
          let goLeft: boolean;
          if (Number.isNaN(x)) goLeft = missingLeft[node] === 1;
          else if (this.binning.features[f].kind === 'numeric') goLeft = x <= thresholds[node];
          else goLeft = tables[tableOffsets[node] + x] === 1;
          node = goLeft ? lefts[node] : rights[node];
        }
        out[r * K + output] += values[node];
      }
    }
    return out;
  }

  predict(dataset: ColumnarDataset): Float64Array {
    const margins = this.margins(dataset);
    if (this.task === 'regression') return margins;
    if (this.task === 'binary') return margins.map((m) => 1 / (1 + Math.exp(-m)));
    const K = this.numOutputs;
    const out = new Float64Array(margins.length);
    for (let r = 0; r < dataset.numRows; r++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < K; k++) max = Math.max(max, margins[r * K + k]);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(margins[r * K + k] - max);
      for (let k = 0; k < K; k++) out[r * K + k] = Math.exp(margins[r * K + k] - max) / sum;
    }
    return out;
  }

  toOnnx(signature: ModelSignature): Uint8Array {
    const names = this.features.map((feature) => feature.name).sort();
    const given = signature.inputs.map((input) => input.name).sort();
    if (names.join('\n') !== given.join('\n')) {
      throw new Error(`signature inputs (${given}) differ from the trained features (${names})`);
    }
    const graph = new GraphBuilder();
    const features = this.binning.features.map((feature) =>
      feature.kind === 'numeric'
        ? { name: feature.name, kind: 'numeric' as const }
        : { name: feature.name, kind: 'categorical' as const, dictionary: feature.dictionary },
    );
    const inputs = declareRawInputs(graph, features);
    const margins = addTreeEnsemble(graph, {
      inputs,
      features,
      trees: this.trees.map((tree) => toOnnxTree(tree, this.binning)),
      numTargets: this.numOutputs,
      baseValues: Array.from(this.baseMargins),
    });
    addPredictionHead(graph, margins, this.task, this.task === 'multiclass' ? this.numOutputs : 2);
    return assembleModel(graph, {
      graphName: 'mlship_gbdt',
      docString: `gradient-boosted trees: ${this.trees.length} trees, ${this.task}`,
      metadata: { 'mlship.trainer': 'gbdt', 'mlship.signature': JSON.stringify(signature) },
    });
  }

  /** Share of the total split gain each feature earned (sums to 1 when any split was made). */
  featureImportance(): Record<string, number> {
    const total = this.gains.reduce((a, b) => a + b, 0);
    return Object.fromEntries(
      this.features.map((feature, f) => [feature.name, total > 0 ? this.gains[f] / total : 0]),
    );
  }
}
