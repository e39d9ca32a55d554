import { binaryMetrics } from './binary.ts';
import { multiclassMetrics } from './multiclass.ts';
import { regressionMetrics } from './regression.ts';

export type Task = 'binary' | 'multiclass' | 'regression';

/**
 * The flat metrics of a task under the names mlship.yaml gates use (`auc`, `log_loss`, ...).
 * Scores: positive-class probabilities (binary), row-major N x K probabilities (multiclass),
 * predicted values (regression).
 */
export function computeMetrics(
  task: Task,
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  options: { threshold?: number; classes?: number } = {},
): Record<string, number> {
  switch (task) {
    case 'binary':
      return { ...binaryMetrics(labels, scores, options.threshold ?? 0.5) };
    case 'multiclass': {
      const classes = options.classes ?? Math.round(scores.length / labels.length);
      return { ...multiclassMetrics(labels, scores, classes) };
    }
    case 'regression':
      return { ...regressionMetrics(labels, scores) };
  }
}

/** Metrics where smaller is better; every other metric is better when larger. */
const LOWER_IS_BETTER = new Set(['log_loss', 'brier', 'rmse', 'mae', 'mse']);

export function lowerIsBetter(metric: string): boolean {
  return LOWER_IS_BETTER.has(metric);
}

/**
 * How much worse `challenger` is than `champion`, in the metric's own units: positive means worse,
 * whichever direction the metric runs.
 */
export function regressionOf(metric: string, challenger: number, champion: number): number {
  return lowerIsBetter(metric) ? challenger - champion : champion - challenger;
}

/** Metrics shown first, in this order, when present. */
export const METRIC_ORDER = [
  'auc',
  'pr_auc',
  'log_loss',
  'brier',
  'accuracy',
  'precision',
  'recall',
  'f1',
  'macro_f1',
  'weighted_f1',
  'rmse',
  'mae',
  'r2',
];

export function orderedMetricNames(...sets: Array<Record<string, number> | undefined>): string[] {
  const names = new Set<string>();
  for (const set of sets) for (const name of Object.keys(set ?? {})) names.add(name);
  const rank = (name: string) => {
    const index = METRIC_ORDER.indexOf(name);
    return index < 0 ? METRIC_ORDER.length : index;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
