import type { GatesSpec } from '../config/spec.ts';
import { UserError } from '../errors.ts';
import { lowerIsBetter, regressionOf } from '../metrics/index.ts';
import type { GateResult } from './types.ts';

/** Floating-point slack so a metric exactly at its bound passes whatever the last bit says. */
const SLACK = 1e-12;

const fmt = (n: number) => Number(n.toPrecision(6)).toString();

/**
 * Applies mlship.yaml's gates: `min` and `max` bound the challenger's own metrics;
 * `max_regression` bounds how much worse it may be than the champion (skipped when there is none).
 * A gate on a metric the task does not compute is a spec mistake, not a failed gate.
 */
export function applyGates(
  gates: GatesSpec,
  challenger: Record<string, number>,
  champion: Record<string, number> | null,
  specFile = 'mlship.yaml',
): GateResult[] {
  const results: GateResult[] = [];
  const known = (gate: string, metric: string): number => {
    const value = challenger[metric];
    if (value === undefined) {
      throw new UserError(`no metric "${metric}" for this task`, {
        file: specFile,
        field: `gates.${gate}.${metric}`,
        fix: `gate one of: ${Object.keys(challenger).join(', ')}`,
      });
    }
    return value;
  };
  for (const [metric, limit] of Object.entries(gates.min ?? {})) {
    const actual = known('min', metric);
    const pass = actual >= limit - SLACK;
    results.push({
      metric,
      gate: 'min',
      limit,
      actual,
      status: pass ? 'pass' : 'fail',
      margin: limit - actual,
      detail: pass
        ? `${metric} ${fmt(actual)} is at least ${fmt(limit)}`
        : `${metric} ${fmt(actual)} is below the minimum ${fmt(limit)} by ${fmt(limit - actual)}`,
    });
  }
  for (const [metric, limit] of Object.entries(gates.max ?? {})) {
    const actual = known('max', metric);
    const pass = actual <= limit + SLACK;
    results.push({
      metric,
      gate: 'max',
      limit,
      actual,
      status: pass ? 'pass' : 'fail',
      margin: actual - limit,
      detail: pass
        ? `${metric} ${fmt(actual)} is at most ${fmt(limit)}`
        : `${metric} ${fmt(actual)} is above the maximum ${fmt(limit)} by ${fmt(actual - limit)}`,
    });
  }
  for (const [metric, limit] of Object.entries(gates.max_regression ?? {})) {
    const value = known('max_regression', metric);
    const base = champion?.[metric];
    if (champion === null || base === undefined) {
      results.push({
        metric,
        gate: 'max_regression',
        limit,
        actual: null,
        status: 'skipped',
        margin: null,
        detail: champion === null ? 'no champion yet' : `the champion has no ${metric}`,
      });
      continue;
    }
    const worse = regressionOf(metric, value, base);
    const pass = worse <= limit + SLACK;
    const direction = lowerIsBetter(metric) ? 'higher' : 'lower';
    results.push({
      metric,
      gate: 'max_regression',
      limit,
      actual: worse,
      status: pass ? 'pass' : 'fail',
      margin: worse - limit,
      detail:
        worse <= 0
          ? `${metric} ${fmt(value)} is no worse than the champion's ${fmt(base)}`
          : pass
            ? `${metric} is ${fmt(worse)} ${direction} than the champion's ${fmt(base)}, within ${fmt(limit)}`
            : `${metric} is ${fmt(worse)} ${direction} than the champion's ${fmt(base)}: more than the allowed ${fmt(limit)} by ${fmt(worse - limit)}`,
    });
  }
  return results;
}

export function gatesPassed(results: GateResult[]): boolean {
  return results.every((r) => r.status !== 'fail');
}
