/**
 * A stand-in for GitHub's REST API on 127.0.0.1, for tests. Every request is checked against
 * GitHub's published OpenAPI description (see github-openapi.ts): unknown routes and requests that
 * do not fit the operation's parameters or body get a 4xx AND are recorded in `invalidRequests`, so a
 * test can assert there were none. Every response the fake sends is validated against the
 * operation's response schema too (a mismatch is recorded and answered with 500), so the fake
 * cannot drift from real shapes.
 *
 * It keeps in-memory state for what mlship uses: issues and pull requests (one number sequence, as
 * on GitHub), issue comments, labels, requested reviewers and workflow dispatches. Operations the
 * description knows but the fake does not implement answer 501 and are recorded as well.
 *
 *   const gh = await startFakeGitHub({ owner: 'acme', repo: 'mlship' });
 *   const octokit = createGitHubClient({ token: 'test', baseUrl: gh.url });
 *   ...; expect(gh.invalidRequests).toEqual([]); await gh.close();
 */

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { gitHubOpenApi, type Schema } from './github-openapi.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface FakeIssue {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  labels: string[];
  assignees: string[];
  user: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** Present when the issue is a pull request. */
  pull?: FakePull;
}

export interface FakePull {
  head: string;
  base: string;
  headSha: string;
  draft: boolean;
  merged: boolean;
  requestedReviewers: string[];
  requestedTeams: string[];
}

export interface FakeComment {
  id: number;
  issueNumber: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
}

export interface FakeDispatch {
  workflowId: string | number;
  ref: string;
  inputs: Record<string, unknown>;
}

export interface FakeLabel {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface FakeState {
  issues: FakeIssue[];
  comments: FakeComment[];
  labels: FakeLabel[];
  dispatches: FakeDispatch[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  operationId?: string;
  body?: unknown;
  status: number;
}

export interface InvalidRequest extends RecordedRequest {
  problems: string[];
}

export interface FakeGitHub {
  /** API root to hand to Octokit as `baseUrl` (or GITHUB_API_URL). */
  url: string;
  owner: string;
  repo: string;
  state: FakeState;
  requests: RecordedRequest[];
  invalidRequests: InvalidRequest[];
  close(): Promise<void>;
}

export interface FakeGitHubOptions {
  owner: string;
  repo: string;
  /** Login the token acts as (authors of created comments, issues and pulls). */
  actor?: string;
  defaultBranch?: string;
  /**
   * The repository's .github/workflows directory: when given, workflow dispatches are checked against
   * the named workflow's `on.workflow_dispatch.inputs` as GitHub checks them (unknown workflow, no
   * dispatch trigger, undeclared or missing required inputs, a value outside a choice's options).
   */
  workflowsDir?: string;
}

/** A reply from a handler: status and JSON body (undefined for 204). */
interface Reply {
  status: number;
  body?: Json;
  headers?: Record<string, string>;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Whether this is the client's mistake by GitHub's rules (recorded) or an ordinary answer like 404. */
    readonly invalid = false,
  ) {
    super(message);
  }
}

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const api = gitHubOpenApi();
  const actor = options.actor ?? 'github-actions[bot]';
  const defaultBranch = options.defaultBranch ?? 'main';
  const state: FakeState = { issues: [], comments: [], labels: [], dispatches: [] };
  const requests: RecordedRequest[] = [];
  const invalidRequests: InvalidRequest[] = [];
  let nextId = 1000;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  // Deterministic, strictly increasing timestamps: tests must not depend on wall-clock time.
  const now = () => {
    clock += 1000;
    return new Date(clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  };
  let baseUrl = '';

  const repoUrl = () => `${baseUrl}/repos/${options.owner}/${options.repo}`;
  const htmlUrl = () => `https://github.com/${options.owner}/${options.repo}`;

  const user = (login: string): Json =>
    api.build(api.component('simple-user'), {
      login,
      id: login.length,
      node_id: `U_${login}`,
      type: login.endsWith('[bot]') ? 'Bot' : 'User',
      url: `${baseUrl}/users/${encodeURIComponent(login)}`,
      // Bots' pages live under /apps/ (and `[bot]` is not valid in a URI path).
      html_url: login.endsWith('[bot]')
        ? `https://github.com/apps/${login.slice(0, -'[bot]'.length)}`
        : `https://github.com/${encodeURIComponent(login)}`,
    });

  const labelJson = (name: string): Json => {
    const label = state.labels.find((l) => l.name === name)!;
    return api.build(api.component('label'), {
      id: label.id,
      node_id: `LA_${label.id}`,
      url: `${repoUrl()}/labels/${encodeURIComponent(name)}`,
      name,
      color: label.color,
      description: label.description,
      default: false,
    });
  };

  const ensureLabel = (name: string) => {
    if (!state.labels.some((l) => l.name === name)) {
      // '' rather than null: pull-request-simple declares label descriptions as non-nullable strings.
      state.labels.push({ id: nextId++, name, color: 'ededed', description: '' });
    }
  };

  const findIssue = (number: unknown): FakeIssue => {
    const issue = state.issues.find((i) => i.number === number);
    if (!issue) throw new HttpProblem(404, 'Not Found');
    return issue;
  };

  const findPull = (number: unknown): FakeIssue & { pull: FakePull } => {
    const issue = findIssue(number);
    if (!issue.pull) throw new HttpProblem(404, 'Not Found');
    return issue as FakeIssue & { pull: FakePull };
  };

  const commonIssueFields = (issue: FakeIssue): Record<string, Json> => ({
    id: issue.number + 500_000,
    node_id: `I_${issue.number}`,
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    locked: false,
    user: user(issue.user),
    labels: issue.labels.map(labelJson),
    assignees: issue.assignees.map(user),
    assignee: issue.assignees[0] ? user(issue.assignees[0]) : null,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    author_association: 'NONE',
  });

  const issueJson = (issue: FakeIssue): Json =>
    api.build(api.component('issue'), {
      ...commonIssueFields(issue),
      url: `${repoUrl()}/issues/${issue.number}`,
      html_url: `${htmlUrl()}/${issue.pull ? 'pull' : 'issues'}/${issue.number}`,
      repository_url: repoUrl(),
      comments: state.comments.filter((c) => c.issueNumber === issue.number).length,
      ...(issue.pull
        ? {
            pull_request: {
              url: `${repoUrl()}/pulls/${issue.number}`,
              html_url: `${htmlUrl()}/pull/${issue.number}`,
              diff_url: `${htmlUrl()}/pull/${issue.number}.diff`,
              patch_url: `${htmlUrl()}/pull/${issue.number}.patch`,
              merged_at: null,
            },
          }
        : {}),
    });

  const branchJson = (ref: string, sha: string): Record<string, Json> => ({
    label: `${options.owner}:${ref}`,
    ref,
    sha,
    user: user(options.owner),
    repo: null,
  });

  const pullJson = (
    issue: FakeIssue & { pull: FakePull },
    component: 'pull-request' | 'pull-request-simple',
  ): Json => {
    const schema = api.component(component);
    const head = branchJson(issue.pull.head, issue.pull.headSha);
    const base = branchJson(issue.pull.base, '0'.repeat(40));
    // head.repo / base.repo are required and not nullable in the description: give the minimal repository.
    const repository = api.build(api.component('repository'), {
      name: options.repo,
      full_name: `${options.owner}/${options.repo}`,
      default_branch: defaultBranch,
      owner: user(options.owner),
    });
    head.repo = repository;
    base.repo = repository;
    return api.build(schema, {
      ...commonIssueFields(issue),
      url: `${repoUrl()}/pulls/${issue.number}`,
      html_url: `${htmlUrl()}/pull/${issue.number}`,
      issue_url: `${repoUrl()}/issues/${issue.number}`,
      head,
      base,
      draft: issue.pull.draft,
      merged_at: null,
      requested_reviewers: issue.pull.requestedReviewers.map(user),
      ...(component === 'pull-request' ? { merged: issue.pull.merged } : {}),
    });
  };

  const commentJson = (comment: FakeComment): Json =>
    api.build(api.component('issue-comment'), {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      url: `${repoUrl()}/issues/comments/${comment.id}`,
      html_url: `${htmlUrl()}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
      issue_url: `${repoUrl()}/issues/${comment.issueNumber}`,
      body: comment.body,
      user: user(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      author_association: 'NONE',
    });

  /** Normalises the many label body forms GitHub accepts (strings, {name}, a bare array or string). */
  const labelNames = (body: unknown): string[] => {
    const raw = (body as { labels?: unknown })?.labels ?? body;
    const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    return list.map((item) => (typeof item === 'string' ? item : String((item as { name: string }).name)));
  };

  const paginate = (items: Json[], query: Record<string, unknown>, path: string): Reply => {
    const perPage = Math.min(Number(query.per_page ?? 30), 100);
    const page = Number(query.page ?? 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const headers: Record<string, string> = {};
    if (page < last) {
      const link = (p: number) => {
        const params = new URLSearchParams();
        for (const [key, value] of Object.entries(query)) {
          if (key !== 'page') params.set(key, String(value));
        }
        params.set('page', String(p));
        return `<${baseUrl}${path}?${params}>`;
      };
      headers.link = `${link(page + 1)}; rel="next", ${link(last)}; rel="last"`;
    }
    return { status: 200, body: items.slice((page - 1) * perPage, page * perPage), headers };
  };

  type Handler = (
    p: Record<string, unknown>,
    q: Record<string, unknown>,
    b: Record<string, unknown>,
    path: string,
  ) => Reply;

  const handlers: Record<string, Handler> = {
    'repos/get': () => ({
      status: 200,
      body: api.build(api.component('full-repository'), {
        name: options.repo,
        full_name: `${options.owner}/${options.repo}`,
        default_branch: defaultBranch,
        owner: user(options.owner),
        html_url: htmlUrl(),
        url: repoUrl(),
      }),
    }),

    'issues/list-for-repo': (_p, q, _b, path) => {
      const wanted = typeof q.labels === 'string' ? q.labels.split(',').filter(Boolean) : [];
      const items = state.issues
        .filter((i) => (q.state ?? 'open') === 'all' || i.state === (q.state ?? 'open'))
        .filter((i) => wanted.every((name) => i.labels.includes(name)))
        .sort((a, b) => (q.direction === 'asc' ? a.number - b.number : b.number - a.number))
        .map(issueJson);
      return paginate(items, q, path);
    },
    'issues/create': (_p, _q, b) => {
      const at = now();
      const issue: FakeIssue = {
        number: state.issues.length + 1,
        title: String(b.title),
        body: (b.body as string | undefined) ?? null,
        state: 'open',
        labels: [],
        assignees: (b.assignees as string[] | undefined) ?? [],
        user: actor,
        createdAt: at,
        updatedAt: at,
        closedAt: null,
      };
      for (const name of labelNames(b.labels ?? [])) {
        ensureLabel(name);
        issue.labels.push(name);
      }
      state.issues.push(issue);
      return { status: 201, body: issueJson(issue) };
    },
    'issues/get': (p) => ({ status: 200, body: issueJson(findIssue(p.issue_number)) }),
    'issues/update': (p, _q, b) => {
      const issue = findIssue(p.issue_number);
      if (typeof b.title === 'string') issue.title = b.title;
      if ('body' in b) issue.body = (b.body as string | null) ?? null;
      if (b.state === 'open' || b.state === 'closed') setState(issue, b.state);
      if (Array.isArray(b.labels)) {
        issue.labels = labelNames(b.labels);
        issue.labels.forEach(ensureLabel);
      }
      if (Array.isArray(b.assignees)) issue.assignees = b.assignees as string[];
      issue.updatedAt = now();
      return { status: 200, body: issueJson(issue) };
    },

    'issues/list-comments': (p, q, _b, path) => {
      findIssue(p.issue_number);
      const items = state.comments.filter((c) => c.issueNumber === p.issue_number).map(commentJson);
      return paginate(items, q, path);
    },
    'issues/create-comment': (p, _q, b) => {
      findIssue(p.issue_number);
      const at = now();
      const comment: FakeComment = {
        id: nextId++,
        issueNumber: p.issue_number as number,
        body: String(b.body),
        user: actor,
        createdAt: at,
        updatedAt: at,
      };
      state.comments.push(comment);
      return { status: 201, body: commentJson(comment) };
    },
    'issues/get-comment': (p) => ({ status: 200, body: commentJson(findComment(p.comment_id)) }),
    'issues/update-comment': (p, _q, b) => {
      const comment = findComment(p.comment_id);
      comment.body = String(b.body);
      comment.updatedAt = now();
      return { status: 200, body: commentJson(comment) };
    },
    'issues/delete-comment': (p) => {
      const comment = findComment(p.comment_id);
      state.comments.splice(state.comments.indexOf(comment), 1);
      return { status: 204 };
    },

    'issues/list-labels-on-issue': (p, q, _b, path) =>
      paginate(findIssue(p.issue_number).labels.map(labelJson), q, path),
    'issues/add-labels': (p, _q, b) => {
      const issue = findIssue(p.issue_number);
      for (const name of labelNames(b)) {
        ensureLabel(name);
        if (!issue.labels.includes(name)) issue.labels.push(name);
      }
      return { status: 200, body: issue.labels.map(labelJson) };
    },
    'issues/set-labels': (p, _q, b) => {
      const issue = findIssue(p.issue_number);
      issue.labels = [...new Set(labelNames(b))];
      issue.labels.forEach(ensureLabel);
      return { status: 200, body: issue.labels.map(labelJson) };
    },
    'issues/remove-label': (p) => {
      const issue = findIssue(p.issue_number);
      if (!issue.labels.includes(p.name as string)) throw new HttpProblem(404, 'Label does not exist');
      issue.labels = issue.labels.filter((name) => name !== p.name);
      return { status: 200, body: issue.labels.map(labelJson) };
    },

    'pulls/list': (_p, q, _b, path) => {
      const wantedState = (q.state as string | undefined) ?? 'open';
      let head: string | undefined;
      if (typeof q.head === 'string') {
        // GitHub filters by `user:ref`; a head of another owner matches nothing in this repository.
        const [owner, ref] = q.head.includes(':') ? q.head.split(':', 2) : [options.owner, q.head];
        head = owner === options.owner ? ref : '\0';
      }
      const items = state.issues
        .filter((i): i is FakeIssue & { pull: FakePull } => i.pull !== undefined)
        .filter((i) => wantedState === 'all' || i.state === wantedState)
        .filter((i) => head === undefined || i.pull.head === head)
        .filter((i) => q.base === undefined || i.pull.base === q.base)
        .sort((a, b) => (q.direction === 'asc' ? a.number - b.number : b.number - a.number))
        .map((i) => pullJson(i, 'pull-request-simple'));
      return paginate(items, q, path);
    },
    'pulls/create': (_p, _q, b) => {
      // Rules GitHub enforces beyond the schema.
      if (b.title === undefined && b.issue === undefined) {
        throw new HttpProblem(422, 'Validation Failed: title or issue is required', true);
      }
      if (b.head === b.base) throw new HttpProblem(422, `No commits between ${b.base} and ${b.head}`, true);
      const head = String(b.head).includes(':') ? String(b.head).split(':')[1] : String(b.head);
      const open = state.issues.find(
        (i) => i.pull && i.state === 'open' && i.pull.head === head && i.pull.base === b.base,
      );
      if (open) throw new HttpProblem(422, `A pull request already exists for ${options.owner}:${head}.`);
      const at = now();
      const issue: FakeIssue & { pull: FakePull } = {
        number: state.issues.length + 1,
        title: String(b.title),
        body: (b.body as string | undefined) ?? null,
        state: 'open',
        labels: [],
        assignees: [],
        user: actor,
        createdAt: at,
        updatedAt: at,
        closedAt: null,
        pull: {
          head,
          base: String(b.base),
          headSha: (state.issues.length + 1).toString(16).padStart(40, 'a'),
          draft: b.draft === true,
          merged: false,
          requestedReviewers: [],
          requestedTeams: [],
        },
      };
      state.issues.push(issue);
      return { status: 201, body: pullJson(issue, 'pull-request') };
    },
    'pulls/get': (p) => ({ status: 200, body: pullJson(findPull(p.pull_number), 'pull-request') }),
    'pulls/update': (p, _q, b) => {
      const issue = findPull(p.pull_number);
      if (typeof b.title === 'string') issue.title = b.title;
      if ('body' in b) issue.body = (b.body as string | null) ?? null;
      if (typeof b.base === 'string') issue.pull.base = b.base;
      if (b.state === 'open' || b.state === 'closed') setState(issue, b.state);
      issue.updatedAt = now();
      return { status: 200, body: pullJson(issue, 'pull-request') };
    },
    'pulls/list-requested-reviewers': (p) => {
      const issue = findPull(p.pull_number);
      return {
        status: 200,
        body: api.build(api.responseSchema('pulls/list-requested-reviewers', 200), {
          users: issue.pull.requestedReviewers.map(user),
          teams: [],
        }),
      };
    },
    'pulls/request-reviewers': (p, _q, b) => {
      const issue = findPull(p.pull_number);
      for (const login of (b.reviewers as string[] | undefined) ?? []) {
        if (login === issue.user) {
          throw new HttpProblem(422, 'Review cannot be requested from pull request author.');
        }
        if (!issue.pull.requestedReviewers.includes(login)) issue.pull.requestedReviewers.push(login);
      }
      for (const slug of (b.team_reviewers as string[] | undefined) ?? []) {
        if (!issue.pull.requestedTeams.includes(slug)) issue.pull.requestedTeams.push(slug);
      }
      return { status: 201, body: pullJson(issue, 'pull-request-simple') };
    },

    'actions/create-workflow-dispatch': (p, _q, b) => {
      if (options.workflowsDir) checkDispatch(options.workflowsDir, p.workflow_id, b.inputs);
      state.dispatches.push({
        workflowId: p.workflow_id as string | number,
        ref: String(b.ref),
        inputs: (b.inputs as Record<string, unknown> | undefined) ?? {},
      });
      if (b.return_run_details === true) {
        const id = nextId++;
        return {
          status: 200,
          body: api.build(api.responseSchema('actions/create-workflow-dispatch', 200), {
            workflow_run_id: id,
            run_url: `${repoUrl()}/actions/runs/${id}`,
            html_url: `${htmlUrl()}/actions/runs/${id}`,
          }),
        };
      }
      return { status: 204 };
    },
  };

  function findComment(id: unknown): FakeComment {
    const comment = state.comments.find((c) => c.id === id);
    if (!comment) throw new HttpProblem(404, 'Not Found');
    return comment;
  }

  function setState(issue: FakeIssue, next: 'open' | 'closed') {
    if (issue.state === next) return;
    issue.state = next;
    issue.closedAt = next === 'closed' ? now() : null;
  }

  const send = (res: ServerResponse, reply: Reply) => {
    const headers: Record<string, string> = {
      'x-github-api-version-selected': '2022-11-28',
      ...reply.headers,
    };
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers).end();
      return;
    }
    headers['content-type'] = 'application/json; charset=utf-8';
    res.writeHead(reply.status, headers).end(JSON.stringify(reply.body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const record: RecordedRequest = { method, path: url.pathname, status: 0 };
    requests.push(record);
    const reject = (status: number, problems: string[], operationId?: string) => {
      record.status = status;
      record.operationId = operationId;
      invalidRequests.push({ ...record, problems });
      send(res, {
        status,
        body: { message: problems.join('; '), documentation_url: 'https://docs.github.com/rest' },
      });
    };

    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        reject(400, ['Problems parsing JSON']);
        return;
      }
      record.body = body;
    }
    if (!req.headers.authorization) {
      reject(401, ['Requires authentication: mlship always sends a token']);
      return;
    }
    const checked = api.checkRequest(method, url.pathname, url.searchParams, body);
    if (!checked.ok) {
      reject(checked.status, checked.problems, checked.operationId);
      return;
    }
    const { operationId, pathParams, query } = checked.route;
    record.operationId = operationId;
    if (
      pathParams.owner !== undefined &&
      (pathParams.owner !== options.owner || pathParams.repo !== options.repo)
    ) {
      reject(404, [
        `this fake serves ${options.owner}/${options.repo}, not ${pathParams.owner}/${pathParams.repo}`,
      ]);
      return;
    }
    const handler = handlers[operationId];
    if (!handler) {
      reject(501, [`the fake GitHub does not implement ${operationId} yet`], operationId);
      return;
    }
    let reply: Reply;
    try {
      reply = handler(pathParams, query, (body ?? {}) as Record<string, unknown>, url.pathname);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      if (error.invalid) {
        reject(error.status, [error.message], operationId);
        return;
      }
      record.status = error.status;
      send(res, {
        status: error.status,
        body: { message: error.message, documentation_url: 'https://docs.github.com/rest' },
      });
      return;
    }
    const problems = api.checkResponse(operationId, reply.status, reply.body);
    if (problems.length > 0) {
      // The fake's own mistake: surface it loudly rather than hand tests a shape GitHub never sends.
      reject(
        500,
        problems.map((p) => `fake GitHub sent an invalid response: ${p}`),
        operationId,
      );
      return;
    }
    record.status = reply.status;
    send(res, reply);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      invalidRequests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        status: 500,
        problems: [`fake GitHub crashed: ${(error as Error).stack ?? String(error)}`],
      });
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    owner: options.owner,
    repo: options.repo,
    state,
    requests,
    invalidRequests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** GitHub's checks on a workflow_dispatch against the workflow file (see FakeGitHubOptions.workflowsDir). */
function checkDispatch(workflowsDir: string, workflowId: unknown, given: unknown): void {
  // Numeric ids name workflows by database id, which a directory of files cannot resolve.
  if (typeof workflowId !== 'string') return;
  const path = join(workflowsDir, workflowId);
  if (!existsSync(path)) throw new HttpProblem(404, `Not Found: no workflow ${workflowId}`, true);
  const doc = parse(readFileSync(path, 'utf8')) as { on?: unknown };
  const on = doc.on;
  const triggers =
    typeof on === 'string'
      ? { [on]: null }
      : Array.isArray(on)
        ? Object.fromEntries(on.map((t) => [t, null]))
        : on;
  if (!triggers || typeof triggers !== 'object' || !('workflow_dispatch' in triggers)) {
    throw new HttpProblem(422, "Workflow does not have 'workflow_dispatch' trigger", true);
  }
  const declared = ((triggers as Record<string, { inputs?: Record<string, DispatchInput> } | null>)
    .workflow_dispatch?.inputs ?? {}) as Record<string, DispatchInput>;
  const inputs = (given ?? {}) as Record<string, unknown>;
  const unexpected = Object.keys(inputs).filter((name) => !(name in declared));
  if (unexpected.length > 0)
    throw new HttpProblem(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`, true);
  for (const [name, input] of Object.entries(declared)) {
    const value = inputs[name];
    if (value === undefined) {
      if (input?.required === true && input.default === undefined) {
        throw new HttpProblem(422, `Required input '${name}' not provided`, true);
      }
      continue;
    }
    if (input?.type === 'choice' && !(input.options ?? []).map(String).includes(String(value))) {
      throw new HttpProblem(
        422,
        `Provided value '${String(value)}' for input '${name}' not in the list of allowed values`,
        true,
      );
    }
    if (input?.type === 'boolean' && !['true', 'false'].includes(String(value))) {
      throw new HttpProblem(422, `Provided value for input '${name}' is not a boolean`, true);
    }
  }
}

interface DispatchInput {
  type?: string;
  required?: boolean;
  default?: unknown;
  options?: unknown[];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export type { Schema };
