import type { GitHubClient, RepoRef } from './client.ts';

/**
 * One comment per model on a pull request, updated in place on every push: a hidden HTML marker
 * (`<!-- mlship:evaluate:<model> -->`) finds it again, so the conversation does not fill with a
 * new comment per commit, and two models in one repository keep separate comments.
 */
export function evaluateMarker(model: string): string {
  return `<!-- mlship:evaluate:${model} -->`;
}

export interface UpsertCommentOptions extends RepoRef {
  client: GitHubClient;
  /** Pull request (or issue) number. */
  issueNumber: number;
  marker: string;
  body: string;
}

export interface UpsertCommentResult {
  id: number;
  url: string;
  action: 'created' | 'updated' | 'unchanged';
}

export async function upsertComment(options: UpsertCommentOptions): Promise<UpsertCommentResult> {
  const { client, owner, repo, issueNumber, marker } = options;
  const body = `${marker}\n${options.body}`;
  // Every page: on a busy PR the comment may be far down the list.
  const comments = await client.paginate(client.rest.issues.listComments, {
    owner,
    repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  const existing = comments.find((comment) => comment.body?.includes(marker));
  if (existing) {
    if (existing.body === body) return { id: existing.id, url: existing.html_url, action: 'unchanged' };
    const { data } = await client.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
    return { id: data.id, url: data.html_url, action: 'updated' };
  }
  const { data } = await client.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
  return { id: data.id, url: data.html_url, action: 'created' };
}
