import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ECRClientConfig } from '@aws-sdk/client-ecr';
import { type SimpleGit, simpleGit } from 'simple-git';
import { type ImageScan, resolveImage } from '../ecr/images.ts';
import { UserError } from '../errors.ts';
import type { GitHubClient } from '../github/client.ts';
import { type PullRequestResult, upsertPullRequest } from '../github/pulls.ts';
import type { EnvManifest } from '../gitops/manifest.ts';
import { ledgerPath } from '../registry/ledger.ts';
import { pickVersion, readLedgerFile } from './ledger.ts';
import { type ImagePin, promotedFiles, readOverlay, writeOverlay } from './overlay.ts';
import { promotionBody, promotionTitle } from './pull-request.ts';

/**
 * promote: pin a registered model version (and a serving image, by digest) for one environment
 * through a pull request. The change is built in a temporary git worktree on top of the freshly
 * fetched base branch, so the caller's checkout is never touched; it is pushed to one branch per
 * model and environment, and one pull request per branch is opened or updated. When the branch
 * already holds exactly these promoted files nothing is committed, pushed or sent to GitHub.
 */

/** An ECR image to resolve by tag, or an image already pinned by digest (any registry). */
export type PromoteImage =
  | { repository: string; tag: string; registryId?: string; allowCritical?: boolean; ecr?: ECRClientConfig }
  | { name: string; digest: string };

export interface PromoteOptions {
  /** The git work tree (repository root) whose remote receives the branch. */
  repoDir: string;
  /** The gitops folder inside the repository. */
  gitopsPath?: string;
  model: string;
  /** Registered version; defaults to the newest. Rollback is promoting an older one. */
  version?: number;
  environment: string;
  /** Omit to keep the environment's current image pin (not possible on a first promotion). */
  image?: PromoteImage;
  remote?: string;
  /** Branch the pull request targets; defaults to the checked-out branch. */
  base?: string;
  /** Without it the branch is still pushed and the pull request body is returned. */
  github?: { client: GitHubClient; owner: string; repo: string };
  labels?: string[];
  reviewers?: string[];
  /** Run report link template, e.g. `https://reports.example.com/{model}/{runId}`. */
  reportUrl?: string;
  /** Commit identity when git has none configured (as on a fresh CI runner). */
  author?: { name: string; email: string };
  onProgress?: (message: string) => void;
}

export interface PromoteResult {
  model: string;
  environment: string;
  version: number;
  previousVersion: number | null;
  manifest: EnvManifest;
  image: ImagePin & { tag?: string; scan?: ImageScan };
  previousImage: ImagePin | null;
  branch: string;
  base: string;
  /** The environment on the base branch already serves exactly this: there is nothing to promote. */
  upToDate: boolean;
  /** A new commit was pushed to the branch. */
  changed: boolean;
  /** The branch head (null when upToDate). */
  commit: string | null;
  title: string;
  body: string;
  pullRequest: PullRequestResult | null;
}

const DEFAULT_AUTHOR = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
};

export function promotionBranch(model: string, environment: string): string {
  return `mlship/promote/${model}/${environment}`;
}

export async function promote(options: PromoteOptions): Promise<PromoteResult> {
  const say = options.onProgress ?? (() => {});
  const remote = options.remote ?? 'origin';
  const gitopsPath = options.gitopsPath ?? 'gitops';
  const branch = promotionBranch(options.model, options.environment);
  const git = simpleGit(options.repoDir);
  if (!(await git.checkIsRepo())) {
    throw new UserError('not a git repository', {
      file: options.repoDir,
      fix: 'run promote inside the repository',
    });
  }
  if (!(await git.getRemotes()).some((r) => r.name === remote)) {
    throw new UserError(`git remote "${remote}" is not configured`, {
      file: options.repoDir,
      field: 'remote',
      fix: `add it (git remote add ${remote} <url>) or pass the remote's name`,
    });
  }
  const base = options.base ?? (await currentBranch(git));

  say(`fetching ${remote}/${base}`);
  await git.fetch(remote, `+refs/heads/${base}:refs/remotes/${remote}/${base}`).catch((error: Error) => {
    throw new UserError(`cannot fetch branch "${base}" from ${remote}: ${error.message.trim()}`, {
      field: 'base',
      fix: 'push the base branch first, or pass the branch pull requests should target',
    });
  });
  const remoteBranchSha = await remoteHead(git, remote, branch);
  if (remoteBranchSha) await git.fetch(remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`);

  const worktree = await mkdtemp(join(tmpdir(), 'mlship-promote-'));
  await git.raw(['worktree', 'add', '--detach', worktree, `refs/remotes/${remote}/${base}`]);
  try {
    const wt = simpleGit(worktree);
    const gitopsDir = join(worktree, gitopsPath);

    const ledger = await readLedgerFile(gitopsDir, options.model);
    const ledgerFile = relative(worktree, ledgerPath(gitopsDir, options.model));
    const entry = pickVersion(ledger, options.version, ledgerFile);
    const current = await readOverlay(gitopsDir, options.environment);
    const previousEntry =
      current.manifest?.model === options.model
        ? (ledger.versions.find((v) => v.version === current.manifest?.version) ?? null)
        : null;

    const image = await pinImage(options, current.image, say);
    const manifest: EnvManifest = {
      schema: 1,
      model: options.model,
      version: entry.version,
      environment: options.environment,
      artifact: { uri: entry.artifact.uri, sha256: entry.artifact.sha256 },
      profile: { uri: entry.profile.uri, sha256: entry.profile.sha256 },
    };
    const summary = {
      model: options.model,
      environment: options.environment,
      next: { entry, image },
      current: { manifest: current.manifest, entry: previousEntry, image: current.image },
      reportUrl: options.reportUrl,
    };
    const title = promotionTitle(summary);
    const body = promotionBody(summary);
    const result = {
      model: options.model,
      environment: options.environment,
      version: entry.version,
      previousVersion: current.manifest?.version ?? null,
      manifest,
      image,
      previousImage: current.image,
      branch,
      base,
      title,
      body,
    };

    const { changedFiles } = await writeOverlay(gitopsDir, options.environment, { manifest, image });
    if (changedFiles.length === 0) {
      say(`${options.environment} already serves ${options.model} v${entry.version} with this image`);
      return { ...result, upToDate: true, changed: false, commit: null, pullRequest: null };
    }
    await wt.add(changedFiles.map((file) => relative(worktree, file)));
    let commit: string;
    let changed = false;
    if (
      remoteBranchSha &&
      (await holdsSameFiles(
        wt,
        remoteBranchSha,
        promotedFiles(gitopsDir, options.environment).map((f) => relative(worktree, f)),
      ))
    ) {
      say(`${remote}/${branch} already holds this promotion`);
      commit = remoteBranchSha;
    } else {
      await commitAs(wt, options.author, `${title}\n\n${commitDetails(manifest, image)}`);
      commit = (await wt.revparse(['HEAD'])).trim();
      say(`pushing ${branch}`);
      // The branch belongs to mlship: it is rebuilt on the latest base each time, and the lease
      // refuses to overwrite anything pushed there since we looked.
      await wt
        .push(remote, `HEAD:refs/heads/${branch}`, [
          `--force-with-lease=refs/heads/${branch}:${remoteBranchSha ?? ''}`,
        ])
        .catch((error: Error) => {
          throw pushError(error, remote, branch);
        });
      changed = true;
    }
    // A local branch too, so a reviewer (or the demo) can inspect or merge it without fetching.
    // (Best effort: the push is what counts, and a branch checked out somewhere cannot be moved.)
    if ((await currentBranch(git).catch(() => null)) !== branch) {
      await git.raw(['branch', '--force', branch, commit]).catch((error: Error) => {
        say(`local branch ${branch} left as it was: ${error.message.trim()}`);
      });
    }

    let pullRequest: PullRequestResult | null = null;
    if (options.github) {
      pullRequest = await upsertPullRequest({
        client: options.github.client,
        owner: options.github.owner,
        repo: options.github.repo,
        head: branch,
        base,
        title,
        body,
        labels: options.labels,
        reviewers: options.reviewers,
      });
      say(
        `pull request #${pullRequest.number} ${pullRequest.created ? 'opened' : 'up to date'}: ${pullRequest.url}`,
      );
    }
    return { ...result, upToDate: false, changed, commit, pullRequest };
  } finally {
    await git.raw(['worktree', 'remove', '--force', worktree]).catch(() => undefined);
    await rm(worktree, { recursive: true, force: true });
    await git.raw(['worktree', 'prune']).catch(() => undefined);
  }
}

/**
 * Whether the pushed branch already carries these files exactly as staged. Only the promoted files
 * are compared: a base that moved on elsewhere does not make an open promotion stale (it still
 * merges cleanly), so re-running the same promotion pushes nothing.
 */
async function holdsSameFiles(git: SimpleGit, commit: string, paths: string[]): Promise<boolean> {
  for (const path of paths) {
    const staged = await git.raw(['rev-parse', '--verify', '--quiet', `:${path}`]).catch(() => '');
    const pushed = await git.raw(['rev-parse', '--verify', '--quiet', `${commit}:${path}`]).catch(() => '');
    if (staged.trim() !== pushed.trim()) return false;
  }
  return true;
}

/** Push failures users can act on (permissions, a concurrent push) as UserErrors that say what to do. */
function pushError(error: Error, remote: string, branch: string): Error {
  const message = error.message.trim();
  if (/stale info|rejected|fetch first|non-fast-forward/i.test(message)) {
    return new UserError(
      `${remote}/${branch} changed while promoting (another promotion ran at the same time)`,
      {
        field: 'branch',
        fix: 'run the promotion again; it rebuilds the branch from what is there now',
      },
    );
  }
  if (/permission|denied|403|authenticat|could not read username/i.test(message)) {
    return new UserError(`cannot push ${branch} to ${remote}: ${message.split('\n')[0]}`, {
      field: 'remote',
      fix: 'give the job `contents: write` (or use a token that may push), or check the remote URL',
    });
  }
  return error;
}

async function currentBranch(git: SimpleGit): Promise<string> {
  const name = (await git.revparse(['--abbrev-ref', 'HEAD'])).trim();
  if (name === 'HEAD') {
    throw new UserError('the checkout is on a detached HEAD, so the base branch is unknown', {
      field: 'base',
      fix: 'pass the branch pull requests should target (--base main)',
    });
  }
  return name;
}

async function remoteHead(git: SimpleGit, remote: string, branch: string): Promise<string | null> {
  const line = (await git.listRemote(['--heads', remote, `refs/heads/${branch}`])).trim();
  return line ? line.split(/\s+/)[0] : null;
}

async function pinImage(
  options: PromoteOptions,
  current: ImagePin | null,
  say: (message: string) => void,
): Promise<ImagePin & { tag?: string; scan?: ImageScan }> {
  const input = options.image;
  if (!input) {
    if (!current) {
      throw new UserError(`nothing pins the serving image for "${options.environment}" yet`, {
        field: 'image-tag',
        fix: 'pass the image tag (and repository) to resolve in ECR on the first promotion',
      });
    }
    return current;
  }
  if ('digest' in input) {
    if (!/^sha256:[0-9a-f]{64}$/.test(input.digest)) {
      throw new UserError(`"${input.digest}" is not an image digest`, {
        field: 'image-digest',
        fix: 'use sha256:<64 hex digits>',
      });
    }
    return { name: input.name, digest: input.digest };
  }
  say(`resolving ${input.repository}:${input.tag} in ECR`);
  const resolved = await resolveImage({
    repository: input.repository,
    tag: input.tag,
    registryId: input.registryId,
    allowCritical: input.allowCritical,
    client: input.ecr,
  });
  return { name: resolved.name, digest: resolved.digest, tag: resolved.tag, scan: resolved.scan };
}

function commitDetails(manifest: EnvManifest, image: ImagePin & { tag?: string }): string {
  return [
    `model: ${manifest.model} v${manifest.version}`,
    `artifact: ${manifest.artifact.uri} (sha256 ${manifest.artifact.sha256})`,
    `image: ${image.name}@${image.digest}${image.tag ? ` (tag ${image.tag})` : ''}`,
  ].join('\n');
}

async function commitAs(git: SimpleGit, author: PromoteOptions['author'], message: string): Promise<void> {
  const configured = (await git.raw(['config', '--get', 'user.email']).catch(() => '')).trim();
  const who = author ?? (configured ? null : DEFAULT_AUTHOR);
  const identity = who ? ['-c', `user.name=${who.name}`, '-c', `user.email=${who.email}`] : [];
  await git.raw([...identity, 'commit', '--quiet', '--no-verify', '-m', message]);
}
