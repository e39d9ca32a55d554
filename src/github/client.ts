/**
 * The GitHub REST client the core uses (the "GitHub client" door of DESIGN.md). It is
 * @actions/github's Octokit (core + REST endpoint methods + pagination) so actions and the CLI
 * share one client; it does not touch @actions/core, so it runs anywhere.
 */
import { getOctokit } from '@actions/github';
import { UserError } from '../errors.ts';

export type GitHubClient = ReturnType<typeof getOctokit>;

export interface GitHubClientOptions {
  /** A GITHUB_TOKEN, an app installation token or a PAT. */
  token: string;
  /** REST API root; defaults to GITHUB_API_URL (set by Actions runners and GHES), else api.github.com. */
  baseUrl?: string;
}

export interface RepoRef {
  owner: string;
  repo: string;
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  if (!options.token) {
    throw new UserError('a GitHub token is required', {
      field: 'token',
      fix: 'pass the github-token input (the workflow token, github.token) or set GITHUB_TOKEN',
    });
  }
  const envBaseUrl = process.env.GITHUB_API_URL || 'https://api.github.com';
  const baseUrl = (options.baseUrl || envBaseUrl).replace(/\/+$/, '');
  // @actions/github binds its proxy-aware fetch to the URL from GITHUB_API_URL when it is imported, and
  // Octokit merges `request` options shallowly: for any other URL (a test server, another GHES) use
  // Node's own fetch rather than a dispatcher built for a different host.
  if (baseUrl === envBaseUrl.replace(/\/+$/, '')) return getOctokit(options.token, { baseUrl });
  return getOctokit(options.token, { baseUrl, request: { fetch: globalThis.fetch } });
}

/** `owner/repo` from GITHUB_REPOSITORY (or the given value), with a clear error when absent or malformed. */
export function repoFromEnv(value: string | undefined = process.env.GITHUB_REPOSITORY): RepoRef {
  const match = value ? /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value.trim()) : null;
  if (!match) {
    throw new UserError(`GITHUB_REPOSITORY is ${value ? `"${value}"` : 'not set'}; expected "owner/repo"`, {
      field: 'GITHUB_REPOSITORY',
      fix: 'run inside GitHub Actions or set GITHUB_REPOSITORY=owner/repo',
    });
  }
  return { owner: match[1], repo: match[2] };
}
