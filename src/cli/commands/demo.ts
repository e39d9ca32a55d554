import { resolve } from 'node:path';
import type { Command } from 'commander';
import { runDemo } from '../../demo/demo.ts';
import { printResult } from '../output.ts';

/** `mlship demo`: the whole lifecycle on this machine, with a local remote and local git. */
export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'run the whole lifecycle locally: data, train, evaluate, register, promote, serve, drift, retrain',
    )
    .option('--dir <path>', 'where the demo builds its world (wiped first)', '.mlship/demo')
    .option('--rows-per-month <n>', 'use about N flights of each month, evenly spaced (a quick run)', (v) =>
      Number(v),
    )
    .option('--json', 'print the summary as JSON')
    .action(async (options: { dir: string; rowsPerMonth?: number; replayRows?: number; json?: boolean }) => {
      const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
      const summary = await runDemo({
        dir: resolve(options.dir),
        repoRoot,
        rowsPerMonth: options.rowsPerMonth,
        replayRows: options.replayRows,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      printResult(options, summary, () =>
        [
          '',
          'mlship demo finished.',
          `  project:  ${summary.world.project}`,
          `  origin:   ${summary.world.origin}`,
          `  remote:   ${summary.world.remote}`,
          '',
          'runs:',
          ...summary.versions.map(
            (v) =>
              `  ${v.runId}  ${v.trainer.padEnd(6)}  test auc ${(v.testMetrics.auc ?? Number.NaN).toFixed(4)}  ${
                v.version === null ? 'not registered (gates failed)' : `registered as v${v.version}`
              }`,
          ),
          '',
          'reports:',
          ...Object.entries(summary.reports).map(([name, path]) => `  ${name.padEnd(24)} ${path}`),
        ].join('\n'),
      );
    });
}
