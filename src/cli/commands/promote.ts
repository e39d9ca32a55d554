import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { simpleGit } from 'simple-git';
import { loadSpec } from '../../config/spec.ts';
import { UserError } from '../../errors.ts';
import { createGitHubClient, type RepoRef, repoFromEnv } from '../../github/client.ts';
import { githubRepoFromUrl, imageFromInputs, parseVersion } from '../../promote/inputs.ts';
import { promote } from '../../promote/promote.ts';
import { printResult, progress } from '../output.ts';

/** `mlship promote`: pin a registered version (and the serving image) for an environment via a PR. */
interface PromoteFlags {
  model?: string;
  version?: string;
  environment: string;
  image?: string;
  imageTag?: string;
  imageRepository: string;
  registryId?: string;
  ecrEndpoint?: string;
  region?: string;
  allowCritical?: boolean;
  repo: string;
  gitops: string;
  remote: string;
  base?: string;
  githubToken?: string;
  githubRepository?: string;
  githubApiUrl?: string;
  label: string[];
  reviewer: string[];
  reportUrl?: string;
  spec: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

export function register(program: Command): void {
  program
    .command('promote')
    .description(
      'open (or update) the pull request that makes an environment serve a registered model version; ' +
        'rollback is promoting an older version',
    )
    .requiredOption('-e, --environment <env>', 'environment (gitops/overlays/<env>)')
    .option('-m, --model <name>', 'model name (default: model in mlship.yaml)')
    .option('--version <n>', 'registered version (default: the newest)')
    .option('--image-tag <tag>', 'serving image tag to resolve to a digest in ECR')
    .option('--image-repository <name>', 'ECR repository of the serving image', 'mlship-serve')
    .option('--registry-id <id>', 'AWS account of the ECR registry (default: your own)')
    .option('--ecr-endpoint <url>', 'ECR API endpoint (a VPC endpoint, or a stand-in)')
    .option('--region <region>', 'AWS region of the registry (default: AWS_REGION)')
    .option('--image <ref>', 'serving image already pinned by digest: <repository>@sha256:<digest>')
    .option('--allow-critical', 'accept an image whose ECR scan reports CRITICAL findings')
    .option('--repo <dir>', 'the git repository', '.')
    .option('--gitops <path>', 'gitops folder inside the repository', 'gitops')
    .option('--remote <name>', 'git remote to push the branch to', 'origin')
    .option('--base <branch>', 'branch the pull request targets (default: the checked-out branch)')
    .option(
      '--github-token <token>',
      'token to open the pull request (default: GITHUB_TOKEN); without one the branch is pushed and the body printed',
    )
    .option('--github-repository <owner/repo>', 'default: GITHUB_REPOSITORY, else the remote URL')
    .option('--github-api-url <url>', 'REST API root (default: GITHUB_API_URL or api.github.com)')
    .option('--label <labels>', 'label for the pull request (repeat or comma-separate)', collect, [])
    .option('--reviewer <logins>', 'reviewer login or org/team (repeat or comma-separate)', collect, [])
    .option('--report-url <template>', 'run report link, with {model}, {version} and {runId} filled in')
    .option('--spec <path>', 'pipeline spec (model name and environments)', 'mlship.yaml')
    .option('--json', 'print the result as JSON')
    .action(async (flags: PromoteFlags) => {
      const repoDir = resolve(flags.repo);
      const spec = existsSync(resolve(flags.spec)) ? await loadSpec(flags.spec) : null;
      const model = flags.model ?? spec?.model;
      if (!model) {
        throw new UserError('which model? no --model and no mlship.yaml', {
          field: '--model',
          fix: 'pass --model <name>',
        });
      }
      if (spec && !spec.environments.includes(flags.environment)) {
        throw new UserError(
          `environment "${flags.environment}" is not one of ${spec.environments.join(', ')}`,
          {
            file: flags.spec,
            field: 'environments',
            fix: 'pick a listed environment or add it to environments in mlship.yaml',
          },
        );
      }
      const version = parseVersion(flags.version, '--version');
      const token = flags.githubToken ?? process.env.GITHUB_TOKEN;
      const github = token
        ? {
            client: createGitHubClient({ token, baseUrl: flags.githubApiUrl }),
            ...(await githubRepo(repoDir, flags)),
          }
        : undefined;
      const result = await promote({
        repoDir,
        gitopsPath: flags.gitops,
        model,
        version,
        environment: flags.environment,
        image: imageFromInputs(flags),
        remote: flags.remote,
        base: flags.base,
        github,
        labels: flags.label,
        reviewers: flags.reviewer,
        reportUrl: flags.reportUrl,
        onProgress: progress(flags),
      });
      printResult(flags, result, () => {
        const what = `${result.model} v${result.version} -> ${result.environment} (${result.image.name}@${result.image.digest})`;
        if (result.upToDate)
          return `${result.environment} already serves ${what.split(' -> ')[0]}; nothing to promote`;
        const pushed = result.changed
          ? `pushed ${result.branch} (${result.commit?.slice(0, 12)})`
          : `${result.branch} already up to date`;
        const pull = result.pullRequest
          ? `pull request #${result.pullRequest.number} ${result.pullRequest.created ? 'opened' : result.pullRequest.updated ? 'updated' : 'unchanged'}: ${result.pullRequest.url}`
          : `no GitHub token: open a pull request from ${result.branch} into ${result.base} with this body:\n\n${result.body}`;
        return `${what}\n${pushed}\n${pull}`;
      });
    });
}

async function githubRepo(repoDir: string, flags: PromoteFlags): Promise<RepoRef> {
  if (flags.githubRepository || process.env.GITHUB_REPOSITORY) return repoFromEnv(flags.githubRepository);
  const remotes = await simpleGit(repoDir).getRemotes(true);
  const url = remotes.find((r) => r.name === flags.remote)?.refs.push;
  const parsed = url ? githubRepoFromUrl(url) : null;
  if (!parsed) {
    throw new UserError('cannot tell which GitHub repository to open the pull request in', {
      field: '--github-repository',
      fix: 'pass --github-repository owner/repo (or set GITHUB_REPOSITORY)',
    });
  }
  return parsed;
}
