import type { GitHubClient, RepoRef } from '../github/client.ts';
import { dispatchRetrain, type UpsertIssueResult, upsertIssue } from '../github/dispatch.ts';
import type { DriftCheckResult } from './check.ts';
import { renderDriftMarkdown } from './report.ts';

/**
 * What a drifted window sets off, when asked: `dispatch` starts the retraining workflow with the
 * window as inputs; `issue` keeps one issue per model and environment current. Nothing happens for
 * a window that did not drift (or was not judged).
 */
export type DriftReaction = 'none' | 'dispatch' | 'issue';

export interface ReactOptions {
  client: GitHubClient;
  repo: RepoRef;
  on: DriftReaction;
  /** Retraining workflow (file name or id) and the ref it runs on. */
  workflow?: string;
  ref?: string;
  /**
   * Send the window as `window-from`/`window-to` inputs as well as `reason`; the workflow must
   * declare them (GitHub rejects undeclared inputs).
   */
  windowInputs?: boolean;
  /** Link to the full report (e.g. the run's artifact page), shown in the issue. */
  reportUrl?: string;
}

export interface ReactResult {
  action: 'none' | 'dispatched' | UpsertIssueResult['action'];
  issue?: UpsertIssueResult;
  inputs?: Record<string, string>;
}

export function retrainReason(result: DriftCheckResult): string {
  return `drift in ${result.environment}: ${result.driftedFeatures.length}/${result.features.length} features (${result.driftedFeatures.join(', ')}), window ${result.window.from.slice(0, 10)}..${result.window.to.slice(0, 10)}`;
}

export async function reactToDrift(result: DriftCheckResult, options: ReactOptions): Promise<ReactResult> {
  if (!result.drifted || options.on === 'none') return { action: 'none' };
  if (options.on === 'dispatch') {
    if (!options.workflow || !options.ref) throw new Error('dispatching needs the workflow and the ref');
    const inputs: Record<string, string> = { reason: retrainReason(result) };
    if (options.windowInputs) {
      inputs['window-from'] = result.window.from;
      inputs['window-to'] = result.window.to;
    }
    await dispatchRetrain({
      client: options.client,
      repo: options.repo,
      workflow: options.workflow,
      ref: options.ref,
      inputs,
    });
    return { action: 'dispatched', inputs };
  }
  const issue = await upsertIssue({
    client: options.client,
    repo: options.repo,
    key: `drift:${result.model}/${result.environment}`,
    title: `Drift: ${result.model} in ${result.environment} (${result.driftedFeatures.length}/${result.features.length} features)`,
    body: renderDriftMarkdown(result, options.reportUrl),
    labels: ['drift'],
  });
  return { action: issue.action, issue };
}
