import type { SearchSpec } from '../config/spec.ts';
import { UserError } from '../errors.ts';
import { lowerIsBetter } from '../metrics/index.ts';
import type { SearchTrial } from '../runs/record.ts';
import type { Params } from './trainer.ts';

/**
 * Hyper-parameter search over `search.space` in mlship.yaml: `random` draws `trials` parameter sets
 * (lists uniformly, ranges uniformly or log-uniformly, rounded when `int`), `grid` runs every
 * combination (a range contributes GRID_POINTS evenly spaced values). Each trial is trained and
 * scored on the time-ordered validation split by the caller's `trainTrial`; every trial is kept.
 */
export const GRID_POINTS = 5;
const MAX_GRID = 1000;

type Value = number | string | boolean;

export function searchCandidates(search: SearchSpec, base: Params, specFile?: string): Params[] {
  const keys = Object.keys(search.space).sort();
  if (keys.length === 0) {
    throw new UserError('search.space is empty', {
      file: specFile,
      field: 'search.space',
      fix: 'name at least one parameter',
    });
  }
  if (search.method === 'grid') {
    const axes = keys.map((key) => gridValues(search.space[key]));
    const size = axes.reduce((n, axis) => n * axis.length, 1);
    if (size > MAX_GRID) {
      throw new UserError(`the grid has ${size} combinations (at most ${MAX_GRID})`, {
        file: specFile,
        field: 'search.space',
        fix: 'use fewer values, or method: random with a number of trials',
      });
    }
    let combos: Params[] = [{}];
    keys.forEach((key, i) => {
      combos = combos.flatMap((combo) => axes[i].map((value) => ({ ...combo, [key]: value })));
    });
    return combos.map((combo) => ({ ...base, ...combo }));
  }
  const random = mulberry32(search.seed);
  return Array.from({ length: search.trials }, () => {
    const params: Params = { ...base };
    for (const key of keys) params[key] = draw(search.space[key], random);
    return params;
  });
}

function gridValues(range: SearchSpec['space'][string]): Value[] {
  if (Array.isArray(range)) return range;
  return Array.from({ length: GRID_POINTS }, (_, i) => {
    const t = i / (GRID_POINTS - 1);
    const value = range.log
      ? Math.exp(Math.log(range.min) + t * (Math.log(range.max) - Math.log(range.min)))
      : range.min + t * (range.max - range.min);
    return range.int ? Math.round(value) : value;
  }).filter((value, i, all) => all.indexOf(value) === i);
}

function draw(range: SearchSpec['space'][string], random: () => number): Value {
  if (Array.isArray(range)) return range[Math.floor(random() * range.length)];
  const u = random();
  if (range.int) {
    const low = Math.ceil(range.min);
    const high = Math.floor(range.max);
    if (range.log)
      return Math.min(high, Math.floor(Math.exp(Math.log(low) + u * (Math.log(high + 1) - Math.log(low)))));
    return low + Math.floor(u * (high - low + 1));
  }
  if (range.log) return Math.exp(Math.log(range.min) + u * (Math.log(range.max) - Math.log(range.min)));
  return range.min + u * (range.max - range.min);
}

/** A small seeded generator, so `search.seed` makes a search reproducible. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SearchOutcome<M> {
  trials: SearchTrial[];
  best: number;
  bestModel: M;
}

/**
 * Runs the trials one after another (each trainer already uses both cores) and keeps only the best
 * model in memory. `trainTrial` trains with the given parameters and returns the model and its validation
 * metrics.
 */
export async function runSearch<M>(
  search: SearchSpec,
  candidates: Params[],
  trainTrial: (params: Params, trial: number) => Promise<{ model: M; metrics: Record<string, number> }>,
  options: { specFile?: string; onProgress?: (message: string) => void } = {},
): Promise<SearchOutcome<M>> {
  const trials: SearchTrial[] = [];
  let best = -1;
  let bestModel: M | undefined;
  const lower = lowerIsBetter(search.metric);
  for (const [index, params] of candidates.entries()) {
    const started = performance.now();
    const { model, metrics } = await trainTrial(params, index);
    const seconds = (performance.now() - started) / 1000;
    const score = metrics[search.metric];
    if (score === undefined) {
      throw new UserError(`search metric "${search.metric}" is not computed for this task`, {
        file: options.specFile,
        field: 'search.metric',
        fix: `use one of: ${Object.keys(metrics).join(', ')}`,
      });
    }
    trials.push({ params, metrics, seconds });
    const better =
      best < 0 ||
      (lower ? score < trials[best].metrics[search.metric] : score > trials[best].metrics[search.metric]);
    if (better) {
      best = index;
      bestModel = model;
    }
    options.onProgress?.(
      `search: trial ${index + 1}/${candidates.length} ${search.metric}=${score.toFixed(5)}${better ? ' (best so far)' : ''} ${JSON.stringify(params)}`,
    );
  }
  return { trials, best, bestModel: bestModel as M };
}
