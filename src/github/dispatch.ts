import type { GitHubClient, RepoRef } from './client.ts';

/**
 * What drift-check does on GitHub when a window drifts: start the retraining workflow
 * (workflow_dispatch), or keep ONE issue per model and environment up to date. The issue is found
 * by a hidden marker in its body, so reruns update it (and reopen it if someone closed it) rather
 * than filing duplicates; a title or label someone edits does not break that.
 */
export interface DispatchRetrainOptions {
  client: GitHubClient;
  repo: RepoRef;
  /** Workflow file name (`retrain.yml`) or id. */
  workflow: string | number;
  /** Branch or tag the workflow runs on. */
  ref: string;
  /** workflow_dispatch inputs; values must be strings and the workflow must declare each name. */
  inputs: Record<string, string>;
}

export async function dispatchRetrain(options: DispatchRetrainOptions): Promise<void> {
  await options.client.rest.actions.createWorkflowDispatch({
    ...options.repo,
    workflow_id: options.workflow,
    ref: options.ref,
    inputs: options.inputs,
  });
}

export interface UpsertIssueOptions {
  client: GitHubClient;
  repo: RepoRef;
  /** Identifies the issue across runs, e.g. `drift:flights/production`. */
  key: string;
  title: string;
  body: string;
  labels?: string[];
}

export interface UpsertIssueResult {
  number: number;
  url: string;
  action: 'created' | 'updated' | 'reopened';
}

export function issueMarker(key: string): string {
  return `<!-- mlship:${key} -->`;
}

export async function upsertIssue(options: UpsertIssueOptions): Promise<UpsertIssueResult> {
  const { client, repo } = options;
  const marker = issueMarker(options.key);
  const body = `${marker}\n${options.body}`;
  // Newest first: if an older duplicate exists (made by hand), the most recent one is kept current.
  const candidates = await client.paginate(client.rest.issues.listForRepo, {
    ...repo,
    state: 'all',
    sort: 'created',
    direction: 'desc',
    per_page: 100,
    ...(options.labels?.length ? { labels: options.labels.join(',') } : {}),
  });
  const existing = candidates.find((issue) => !issue.pull_request && issue.body?.includes(marker));
  if (!existing) {
    const { data } = await client.rest.issues.create({
      ...repo,
      title: options.title,
      body,
      ...(options.labels?.length ? { labels: options.labels } : {}),
    });
    return { number: data.number, url: data.html_url, action: 'created' };
  }
  const reopen = existing.state === 'closed';
  const { data } = await client.rest.issues.update({
    ...repo,
    issue_number: existing.number,
    title: options.title,
    body,
    ...(reopen ? { state: 'open' as const } : {}),
  });
  return { number: data.number, url: data.html_url, action: reopen ? 'reopened' : 'updated' };
}
