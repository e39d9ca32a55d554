import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSpec } from '../../config/spec.ts';
import { driftCheck } from '../../drift/check.ts';
import { type DriftReaction, reactToDrift } from '../../drift/react.ts';
import { driftTableCells, formatNumber } from '../../drift/report.ts';
import { parseWindow } from '../../drift/window-spec.ts';
import { UserError } from '../../errors.ts';
import { createGitHubClient, repoFromEnv } from '../../github/client.ts';
import { openStore } from '../../store/open-store.ts';
import { printResult, progress, table } from '../output.ts';

/** `mlship drift-check`: a window of capture logs against the profile the environment serves. */
interface DriftCheckFlags {
  environment: string;
  from?: string;
  to?: string;
  last?: string;
  month?: string;
  labels: string[];
  spec: string;
  gitops: string;
  remote?: string;
  out: string;
  onDrift: string;
  workflow: string;
  ref?: string;
  windowInputs?: boolean;
  githubToken?: string;
  githubRepository?: string;
  githubApiUrl?: string;
  failOnDrift?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, ...value.split(',').filter(Boolean)];

export function register(program: Command): void {
  program
    .command('drift-check')
    .description(
      'compare a window of served traffic (capture logs) with the reference profile of the served model',
    )
    .requiredOption('-e, --environment <env>', 'environment whose traffic to check (gitops/overlays/<env>)')
    .option('--from <time>', 'window start (ISO-8601 date or time, UTC)')
    .option('--to <time>', 'window end, exclusive (default: now)')
    .option('--last <duration>', 'window as a duration ending at --to, e.g. 24h, 7d')
    .option('--month <YYYY-MM>', 'window of one calendar month (UTC)')
    .option(
      '--labels <paths>',
      'labelled Parquet data covering the window, for performance (repeat or comma-separate)',
      collect,
      [],
    )
    .option('--spec <path>', 'pipeline spec (features, target, drift thresholds, remote)', 'mlship.yaml')
    .option('--gitops <path>', 'gitops folder (overlays and registry)', 'gitops')
    .option('--remote <url>', 'store with the capture logs and profiles (default: remote in mlship.yaml)')
    .option('--out <dir>', 'where report.html, drift.json and summary.md go', '.mlship/drift')
    .option(
      '--on-drift <action>',
      'none | dispatch (the retraining workflow) | issue (one, kept current)',
      'none',
    )
    .option('--workflow <file>', 'retraining workflow to dispatch', 'retrain.yml')
    .option('--ref <branch>', 'ref the dispatched workflow runs on (default: GITHUB_REF_NAME, else main)')
    .option(
      '--window-inputs',
      'also pass window-from/window-to inputs to the workflow (it must declare them)',
    )
    .option('--github-token <token>', 'token for --on-drift (default: GITHUB_TOKEN)')
    .option('--github-repository <owner/repo>', 'default: GITHUB_REPOSITORY')
    .option('--github-api-url <url>', 'REST API root (default: GITHUB_API_URL or api.github.com)')
    .option('--fail-on-drift', 'exit with status 3 when the window drifted')
    .option('--json', 'print the result as JSON')
    .action(async (flags: DriftCheckFlags) => {
      const reaction = flags.onDrift as DriftReaction;
      if (!['none', 'dispatch', 'issue'].includes(reaction)) {
        throw new UserError(`--on-drift ${flags.onDrift} is not none, dispatch or issue`, {
          field: '--on-drift',
          fix: 'pick one of them',
        });
      }
      const spec = await loadSpec(flags.spec);
      const window = parseWindow(flags);
      const say = progress(flags);
      const result = await driftCheck({
        spec,
        store: openStore(flags.remote ?? spec.remote, dirname(resolve(flags.spec))),
        environment: flags.environment,
        gitopsDir: resolve(flags.gitops),
        from: window.from,
        to: window.to,
        labels: flags.labels.map((path) => resolve(path)),
        outDir: resolve(flags.out),
        onProgress: say,
      });
      let reacted: Awaited<ReturnType<typeof reactToDrift>> | undefined;
      if (reaction !== 'none' && result.drifted) {
        const token = flags.githubToken ?? process.env.GITHUB_TOKEN ?? '';
        reacted = await reactToDrift(result, {
          client: createGitHubClient({ token, baseUrl: flags.githubApiUrl }),
          repo: repoFromEnv(flags.githubRepository ?? process.env.GITHUB_REPOSITORY),
          on: reaction,
          workflow: flags.workflow,
          ref: flags.ref ?? process.env.GITHUB_REF_NAME ?? 'main',
          windowInputs: flags.windowInputs,
        });
        say(
          reacted.issue
            ? `issue #${reacted.issue.number} ${reacted.issue.action}`
            : `retraining ${reacted.action}`,
        );
      }
      const cells = driftTableCells(result);
      printResult(flags, { ...result, ...(reacted ? { reaction: reacted } : {}) }, () =>
        [
          table(cells[0] as string[], cells.slice(1)),
          '',
          result.judged
            ? `${result.drifted ? 'DRIFTED' : 'no drift'}: ${result.driftedFeatures.length} of ${result.features.length} features (share ${formatNumber(result.driftShare, 2)}, threshold ${result.thresholds.drift_share}) in ${result.window.rows} rows`
            : `not judged: ${result.reason}`,
          ...(result.performance
            ? result.performance.comparison.map(
                (c) =>
                  `${c.metric}: ${formatNumber(c.window, 4)} on the window vs ${formatNumber(c.registered, 4)} registered${c.degraded ? ' (DEGRADED)' : ''}`,
              )
            : []),
          `report: ${relative(process.cwd(), result.paths.report)}`,
        ].join('\n'),
      );
      if (flags.failOnDrift && result.drifted) process.exitCode = 3;
    });
}
