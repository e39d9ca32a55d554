import { UserError } from '../../errors.ts';
import type { Params } from '../trainer.ts';

/** The gradient-boosted trees' parameters (mlship.yaml `trainer.params`), defaults filled in. */
export interface GbdtParams {
  /** Boosting rounds (trees per class for multiclass). */
  trees: number;
  learning_rate: number;
  /** Maximum tree depth. */
  depth: number;
  /**
   * Maximum leaves per tree; 0 means only depth limits it. Trees still grow level by level; under
   * this budget a level's best-gain splits are taken first (not LightGBM's leaf-wise growth).
   */
  leaves: number;
  /** Minimum hessian sum in a child (a row count for regression). */
  min_child_weight: number;
  /** L2 regularisation of leaf values. */
  lambda: number;
  /** Share of rows each tree sees. */
  subsample: number;
  /** Share of features each tree sees. */
  colsample: number;
  /** Stop when the validation loss has not improved for this many rounds (0: never). */
  early_stopping_rounds: number;
  seed: number;
  /** Maximum value bins per numeric feature. */
  bins: number;
  /** Categorical splits: at most this many categories on the smaller side. */
  max_cat_threshold: number;
  /** Categorical splits: smoothing added to the hessian when ordering categories. */
  cat_smooth: number;
  /** Threads for histogram work (0: both cores when the data is large). */
  threads: number;
}

interface Rule {
  default: number;
  int?: boolean;
  min: number;
  max: number;
  /** The lower bound itself is not allowed. */
  exclusiveMin?: boolean;
}

const RULES: Record<keyof GbdtParams, Rule> = {
  trees: { default: 100, int: true, min: 1, max: 100_000 },
  learning_rate: { default: 0.1, min: 0, max: 10, exclusiveMin: true },
  depth: { default: 6, int: true, min: 1, max: 16 },
  leaves: { default: 0, int: true, min: 0, max: 65_536 },
  min_child_weight: { default: 1, min: 0, max: Number.MAX_VALUE },
  lambda: { default: 1, min: 0, max: Number.MAX_VALUE },
  subsample: { default: 1, min: 0, max: 1, exclusiveMin: true },
  colsample: { default: 1, min: 0, max: 1, exclusiveMin: true },
  early_stopping_rounds: { default: 0, int: true, min: 0, max: 100_000 },
  seed: { default: 0, int: true, min: -(2 ** 31), max: 2 ** 31 - 1 },
  bins: { default: 255, int: true, min: 2, max: 255 },
  max_cat_threshold: { default: 64, int: true, min: 1, max: 65_536 },
  cat_smooth: { default: 10, min: 0, max: Number.MAX_VALUE },
  threads: { default: 0, int: true, min: 0, max: 64 },
};

/** Aliases people bring from XGBoost and LightGBM. */
const ALIASES: Record<string, keyof GbdtParams> = {
  n_estimators: 'trees',
  num_boost_round: 'trees',
  eta: 'learning_rate',
  max_depth: 'depth',
  num_leaves: 'leaves',
  max_leaves: 'leaves',
  reg_lambda: 'lambda',
  colsample_bytree: 'colsample',
  max_bin: 'bins',
};

export function parseGbdtParams(params: Params): GbdtParams {
  const out = Object.fromEntries(Object.entries(RULES).map(([name, rule]) => [name, rule.default])) as Record<
    keyof GbdtParams,
    number
  >;
  for (const [given, value] of Object.entries(params)) {
    const name = (given in RULES ? given : ALIASES[given]) as keyof GbdtParams | undefined;
    const field = `trainer.params.${given}`;
    if (!name) {
      throw new UserError(`unknown gradient-boosted trees parameter "${given}"`, {
        file: 'mlship.yaml',
        field,
        fix: `use one of: ${Object.keys(RULES).join(', ')}`,
      });
    }
    const rule = RULES[name];
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    const bad =
      typeof number !== 'number' ||
      !Number.isFinite(number) ||
      (rule.int && !Number.isInteger(number)) ||
      number < rule.min ||
      number > rule.max ||
      (rule.exclusiveMin && number === rule.min);
    if (bad) {
      const kind = rule.int ? 'an integer' : 'a number';
      const range = `${rule.exclusiveMin ? '>' : '>='} ${rule.min} and <= ${rule.max}`;
      throw new UserError(`${given} must be ${kind} ${range}, not ${JSON.stringify(value)}`, {
        file: 'mlship.yaml',
        field,
        fix: `set ${given} to ${kind} ${range}`,
      });
    }
    out[name] = number as number;
  }
  return out;
}
