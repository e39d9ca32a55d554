import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { orderedMetricNames } from '../../metrics/index.ts';
import { openStore } from '../../store/open-store.ts';
import { type TrainerType, train } from '../../train/train.ts';
import type { Params } from '../../train/trainer.ts';
import { printResult, progress, table } from '../output.ts';

/** `mlship train`: the train step (src/train/train.ts) from the terminal. */
interface TrainFlags {
  spec: string;
  trainer?: string;
  param: string[];
  trainPaths?: string[];
  testPaths?: string[];
  remote?: string;
  baseline: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train the model mlship.yaml describes, export ONNX, and record the run')
    .option('--spec <path>', 'pipeline spec', 'mlship.yaml')
    .option('--trainer <type>', 'gbdt, linear or command (default: the spec’s)')
    .option('--param <key=value>', 'override a trainer parameter (repeatable)', collect, [])
    .option('--train-paths <paths...>', 'training files instead of the spec’s data.train')
    .option('--test-paths <paths...>', 'test files instead of the spec’s data.test')
    .option('--remote <url>', 'store for the run (default: remote in mlship.yaml)')
    .option('--no-baseline', 'skip the linear baseline')
    .option('--json', 'print the run record as JSON')
    .action(async (flags: TrainFlags) => {
      const trainer = flags.trainer as TrainerType | undefined;
      if (trainer && !['gbdt', 'linear', 'command'].includes(trainer)) {
        throw new UserError(`unknown trainer "${trainer}"`, {
          field: '--trainer',
          fix: 'use gbdt, linear or command',
        });
      }
      const result = await train({
        specPath: flags.spec,
        trainer,
        params: parseParams(flags.param),
        trainPaths: flags.trainPaths,
        testPaths: flags.testPaths,
        store: flags.remote ? openStore(flags.remote) : undefined,
        baseline: flags.baseline,
        onProgress: progress(flags),
      });
      printResult(
        flags,
        { runId: result.runId, paths: result.paths, store: result.storeUrl, record: result.record },
        () => {
          const { record } = result;
          const names = orderedMetricNames(record.metrics.test, record.metrics.validation).slice(0, 8);
          const rows: Array<Array<string | number>> = [
            [record.trainer.type, 'validation', ...names.map((n) => fmt(record.metrics.validation[n]))],
            [record.trainer.type, 'test', ...names.map((n) => fmt(record.metrics.test[n]))],
          ];
          if (record.baseline) {
            rows.push([
              'linear baseline',
              'validation',
              ...names.map((n) => fmt(record.baseline!.validation[n])),
            ]);
            rows.push(['linear baseline', 'test', ...names.map((n) => fmt(record.baseline!.test[n]))]);
          }
          return [
            table(['model', 'split', ...names], rows),
            '',
            `run ${result.runId}: ${record.rows.train} train / ${record.rows.validation} validation / ${record.rows.test} test rows, ${record.timings.total.toFixed(1)} s`,
            `model ${result.paths.model} (${record.artifacts.model.bytes} bytes, sha256 ${record.artifacts.model.sha256.slice(0, 12)})`,
            `stored in ${result.storeUrl}/runs/${result.runId}/`,
          ].join('\n');
        },
      );
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `k=v` pairs: numbers and true/false become numbers and booleans, anything else stays a string. */
export function parseParams(pairs: string[]): Params {
  const params: Params = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0)
      throw new UserError(`--param ${pair} is not key=value`, {
        field: '--param',
        fix: 'write e.g. --param depth=6',
      });
    const key = pair.slice(0, at);
    const raw = pair.slice(at + 1);
    params[key] =
      raw === 'true'
        ? true
        : raw === 'false'
          ? false
          : raw.trim() !== '' && Number.isFinite(Number(raw))
            ? Number(raw)
            : raw;
  }
  return params;
}

function fmt(value: number | undefined): string {
  return value === undefined ? '' : value.toFixed(4);
}
