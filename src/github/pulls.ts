import type { GitHubClient, RepoRef } from './client.ts';

/**
 * One pull request per head branch: find the open one and bring its title, body, labels and
 * requested reviewers up to date, or open it. Every call is skipped when its effect is already
 * there, so re-running with the same inputs makes no write requests at all.
 */
export interface UpsertPullRequestOptions extends RepoRef {
  client: GitHubClient;
  head: string;
  base: string;
  title: string;
  body: string;
  labels?: string[];
  /** Logins; `org/team` entries are requested as team reviewers. */
  reviewers?: string[];
}

export interface PullRequestResult {
  number: number;
  url: string;
  created: boolean;
  /** Whether anything about an existing pull request was changed. */
  updated: boolean;
}

export async function upsertPullRequest(options: UpsertPullRequestOptions): Promise<PullRequestResult> {
  const { client, owner, repo } = options;
  const open = await client.rest.pulls.list({
    owner,
    repo,
    state: 'open',
    head: `${owner}:${options.head}`,
    base: options.base,
    per_page: 100,
  });
  const existing = open.data.find((pull) => pull.head.ref === options.head);

  let number: number;
  let url: string;
  let created = false;
  let updated = false;
  let labels: string[] = [];
  let users: string[] = [];
  let teams: string[] = [];
  if (existing) {
    number = existing.number;
    url = existing.html_url;
    labels = existing.labels.map((label) => label.name);
    users = (existing.requested_reviewers ?? []).map((user) => user.login.toLowerCase());
    teams = (existing.requested_teams ?? []).map((team) => team.slug.toLowerCase());
    if (existing.title !== options.title || (existing.body ?? '') !== options.body) {
      await client.rest.pulls.update({
        owner,
        repo,
        pull_number: number,
        title: options.title,
        body: options.body,
      });
      updated = true;
    }
  } else {
    const pull = await client.rest.pulls.create({
      owner,
      repo,
      head: options.head,
      base: options.base,
      title: options.title,
      body: options.body,
      maintainer_can_modify: true,
    });
    number = pull.data.number;
    url = pull.data.html_url;
    created = true;
  }

  const missingLabels = (options.labels ?? []).filter((label) => !labels.includes(label));
  if (missingLabels.length > 0) {
    await client.rest.issues.addLabels({ owner, repo, issue_number: number, labels: missingLabels });
    updated = updated || !created;
  }
  const wanted = options.reviewers ?? [];
  const missingUsers = wanted.filter((r) => !r.includes('/') && !users.includes(r.toLowerCase()));
  const missingTeams = wanted
    .filter((r) => r.includes('/'))
    .map((r) => r.split('/')[1])
    .filter((slug) => !teams.includes(slug.toLowerCase()));
  if (missingUsers.length > 0 || missingTeams.length > 0) {
    await client.rest.pulls.requestReviewers({
      owner,
      repo,
      pull_number: number,
      ...(missingUsers.length > 0 ? { reviewers: missingUsers } : {}),
      ...(missingTeams.length > 0 ? { team_reviewers: missingTeams } : {}),
    });
    updated = updated || !created;
  }
  return { number, url, created, updated };
}
