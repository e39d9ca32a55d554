import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSpec } from '../../config/spec.ts';
import { evaluate } from '../../evaluate/evaluate.ts';
import { createGitHubClient, repoFromEnv } from '../../github/client.ts';
import { evaluateMarker, upsertComment } from '../../github/comments.ts';
import { formatNumber } from '../../report/evaluation.ts';
import { openStore } from '../../store/open-store.ts';
import { printResult, progress, table } from '../output.ts';

/** `mlship evaluate`: challenger vs production's champion on the held-out data, gates, report. */
interface EvaluateFlags {
  run: string;
  spec: string;
  remote?: string;
  gitops?: string;
  report?: string;
  threshold?: number;
  environment: string;
  pr?: number;
  githubToken?: string;
  githubRepository?: string;
  githubApiUrl?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('evaluate')
    .description('score a run and the champion on the held-out data, apply the gates, write the report')
    .requiredOption('--run <id>', 'run id to evaluate (the challenger)')
    .option('--spec <path>', 'pipeline spec', 'mlship.yaml')
    .option('--remote <url>', 'store holding runs and models (default: remote in mlship.yaml)')
    .option('--gitops <dir>', 'gitops directory (default: gitops beside the spec)')
    .option('--report <path>', 'where to write the HTML report (default: .mlship/reports/<model>-<run>.html)')
    .option('--threshold <p>', 'decision threshold for accuracy/precision/recall/F1', Number)
    .option('--environment <env>', 'environment whose served version is the champion', 'production')
    .option('--pr <number>', 'pull request to comment on (needs a GitHub token)', Number)
    .option('--github-token <token>', 'token for the PR comment (default: GITHUB_TOKEN)')
    .option('--github-repository <owner/repo>', 'default: GITHUB_REPOSITORY')
    .option('--github-api-url <url>', 'REST API root (default: GITHUB_API_URL or api.github.com)')
    .option('--json', 'print the result as JSON')
    .action(async (flags: EvaluateFlags) => {
      const spec = await loadSpec(flags.spec);
      const root = dirname(resolve(flags.spec));
      const result = await evaluate({
        spec,
        runId: flags.run,
        store: openStore(flags.remote ?? spec.remote, root),
        root,
        gitopsDir: flags.gitops ? resolve(flags.gitops) : undefined,
        reportPath: flags.report ? resolve(flags.report) : undefined,
        threshold: flags.threshold,
        championEnvironment: flags.environment,
        onProgress: progress(flags),
      });
      let comment: string | undefined;
      const token = flags.githubToken ?? process.env.GITHUB_TOKEN;
      if (flags.pr && token) {
        const posted = await upsertComment({
          client: createGitHubClient({ token, baseUrl: flags.githubApiUrl }),
          ...repoFromEnv(flags.githubRepository),
          issueNumber: flags.pr,
          marker: evaluateMarker(spec.model),
          body: result.markdown,
        });
        comment = posted.url;
      }
      const { markdown: _markdown, ...json } = result;
      printResult(flags, { ...json, comment }, () => {
        const lines = [
          `${result.passed ? 'PASSED' : 'FAILED'}: ${spec.model} run ${result.runId}${
            result.champion ? ` against champion v${result.champion.version}` : ' (no champion yet)'
          } on ${result.rows.toLocaleString('en-US')} held-out rows`,
          '',
          table(
            result.champion ? ['metric', 'challenger', 'champion', 'delta'] : ['metric', 'value'],
            Object.entries(result.metrics).map(([name, value]) =>
              result.champion
                ? [
                    name,
                    formatNumber(value),
                    formatNumber(result.champion.metrics[name]),
                    formatNumber(result.deltas[name]),
                  ]
                : [name, formatNumber(value)],
            ),
          ),
          '',
          result.gates.length
            ? table(
                ['gate', 'metric', 'limit', 'status', 'detail'],
                result.gates.map((g) => [g.gate, g.metric, g.limit, g.status, g.detail]),
              )
            : 'no gates configured',
          '',
          `report: ${result.reportPath}`,
          ...(comment ? [`comment: ${comment}`] : []),
        ];
        return lines.join('\n');
      });
      // A failed gate fails the command, as it fails the CI step.
      if (!result.passed) process.exitCode = 1;
    });
}
