import type { FeatureSpec } from '../../config/spec.ts';
import type { ColumnarDataset } from '../../dataset/columnar.ts';
import { UserError } from '../../errors.ts';
import type { ModelSignature } from '../../model/signature.ts';
import type { Params, TrainedModel, Trainer, TrainInput } from '../trainer.ts';
import { encodeDesign, fitEncoding, type LinearEncoding } from './encoding.ts';
import { fitLinear, type LinearTask, predictDesign } from './model.ts';
import { linearToOnnx } from './onnx.ts';

/**
 * The linear baseline: logistic (binary), softmax (multiclass) or least-squares (regression)
 * regression with an L2 penalty over one-hot categoricals and standardised numerics, fitted by
 * L-BFGS to a tight tolerance. Every run is compared against it.
 *
 * Parameters: `l2` (penalty strength, sklearn's 1/C or Ridge's alpha; default 1), `max_iterations`
 * (default 500), `tolerance` (largest gradient component at convergence; default 1e-7), `solver`
 * (`auto`: Newton while the parameters fit a dense Hessian, else L-BFGS; or `newton`, `lbfgs`).
 */
export const LINEAR_DEFAULTS = { l2: 1, max_iterations: 500, tolerance: 1e-7, solver: 'auto' } as const;
const SOLVERS = ['auto', 'newton', 'lbfgs'] as const;

export const trainLinear: Trainer = async (input: TrainInput): Promise<TrainedModel> => {
  const params = resolveParams(input.params);
  const task: LinearTask = input.task;
  const started = Date.now();
  const encoding = fitEncoding(input.features, input.train);
  const design = encodeDesign(encoding, input.train);
  const classes = task === 'multiclass' ? countClasses(input.trainLabels) : task === 'binary' ? 2 : 1;
  input.onProgress?.(
    `linear: ${input.train.numRows} rows, ${encoding.width} design columns (${task}), l2=${params.l2}`,
  );
  const fit = fitLinear(task, design, encoding.width, input.trainLabels, classes, {
    l2: params.l2,
    maxIterations: params.max_iterations,
    tolerance: params.tolerance,
    solver: params.solver,
  });
  input.onProgress?.(
    `linear: ${fit.converged ? 'converged' : 'stopped'} after ${fit.iterations} iterations in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return new LinearModel(task, input.features, encoding, fit.weights, fit.outputs, {
    ...params,
    iterations: fit.iterations,
    converged: fit.converged,
  });
};

export class LinearModel implements TrainedModel {
  constructor(
    readonly task: LinearTask,
    readonly features: FeatureSpec[],
    readonly encoding: LinearEncoding,
    /** (width + 1) x outputs, row 0 the intercepts. */
    readonly weights: Float64Array,
    readonly outputs: number,
    readonly params: Params,
  ) {}

  predict(dataset: ColumnarDataset): Float64Array {
    return predictDesign(this.task, encodeDesign(this.encoding, dataset), this.weights, this.outputs);
  }

  toOnnx(signature: ModelSignature): Uint8Array {
    return linearToOnnx({
      task: this.task,
      features: this.features,
      encoding: this.encoding,
      classes: this.task === 'multiclass' ? this.outputs : 2,
      weights: this.weights,
      outputs: this.outputs,
      signature,
      metadata: { 'mlship.trainer': 'linear' },
    });
  }

  /**
   * Importance of a feature: the largest absolute weight among its standardised or one-hot columns
   * (summed over outputs), comparable across features because the numerics are standardised.
   */
  featureImportance(): Record<string, number> {
    const importance: Record<string, number> = {};
    const weightOf = (column: number) => {
      let sum = 0;
      for (let k = 0; k < this.outputs; k++) sum += Math.abs(this.weights[(1 + column) * this.outputs + k]);
      return sum;
    };
    this.encoding.numeric.forEach((feature, j) => {
      importance[feature.name] = weightOf(j);
    });
    for (const feature of this.encoding.categorical) {
      let max = 0;
      for (let k = 0; k < feature.categories.length; k++) max = Math.max(max, weightOf(feature.offset + k));
      importance[feature.name] = max;
    }
    return importance;
  }

  /** Coefficient of a numeric feature or of one category, for inspection and tests. */
  coefficient(feature: string, category?: string, output = 0): number {
    const numericIndex = this.encoding.numeric.findIndex((f) => f.name === feature);
    let column = numericIndex;
    if (category !== undefined) {
      const encoding = this.encoding.categorical.find((f) => f.name === feature);
      const k = encoding ? encoding.categories.indexOf(category) : -1;
      column = encoding && k >= 0 ? encoding.offset + k : -1;
    }
    if (column < 0) throw new Error(`no coefficient for ${feature}${category ? `=${category}` : ''}`);
    return this.weights[(1 + column) * this.outputs + output];
  }

  intercept(output = 0): number {
    return this.weights[output];
  }
}

function resolveParams(params: Params): {
  l2: number;
  max_iterations: number;
  tolerance: number;
  solver: (typeof SOLVERS)[number];
} {
  const known = new Set(Object.keys(LINEAR_DEFAULTS));
  for (const key of Object.keys(params)) {
    if (!known.has(key)) {
      throw new UserError(`unknown linear trainer parameter "${key}"`, {
        field: `trainer.params.${key}`,
        fix: `use one of: ${[...known].join(', ')}`,
      });
    }
  }
  const solver = params.solver ?? LINEAR_DEFAULTS.solver;
  if (!SOLVERS.includes(solver as (typeof SOLVERS)[number])) {
    throw new UserError(
      `linear parameter solver must be one of ${SOLVERS.join(', ')}, got ${JSON.stringify(solver)}`,
      {
        field: 'trainer.params.solver',
        fix: `set solver to one of ${SOLVERS.join(', ')}`,
      },
    );
  }
  const number = (
    key: 'l2' | 'max_iterations' | 'tolerance',
    check: (v: number) => boolean,
    rule: string,
  ) => {
    const value = params[key] ?? LINEAR_DEFAULTS[key];
    if (typeof value !== 'number' || !check(value)) {
      throw new UserError(`linear parameter ${key} must be ${rule}, got ${JSON.stringify(value)}`, {
        field: `trainer.params.${key}`,
        fix: `set ${key} to ${rule}`,
      });
    }
    return value;
  };
  return {
    l2: number('l2', (v) => v >= 0 && Number.isFinite(v), 'a number >= 0'),
    max_iterations: number('max_iterations', (v) => Number.isInteger(v) && v > 0, 'a positive integer'),
    tolerance: number('tolerance', (v) => v > 0, 'a positive number'),
    solver: solver as (typeof SOLVERS)[number],
  };
}

function countClasses(labels: Float64Array): number {
  let max = 0;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0) {
      throw new UserError(`multiclass labels must be integers 0..K-1, found ${label} in row ${i}`, {
        field: 'target',
        fix: 'encode the target as class indices',
      });
    }
    max = Math.max(max, label);
  }
  return max + 1;
}
