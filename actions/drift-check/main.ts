import { dirname, resolve } from 'node:path';
import * as core from '@actions/core';
import { loadSpec } from '../../src/config/spec.ts';
import { driftCheck } from '../../src/drift/check.ts';
import { type DriftReaction, reactToDrift } from '../../src/drift/react.ts';
import { renderDriftMarkdown } from '../../src/drift/report.ts';
import { parseWindow } from '../../src/drift/window-spec.ts';
import { isUserError, UserError } from '../../src/errors.ts';
import { createGitHubClient, repoFromEnv } from '../../src/github/client.ts';
import { openStore } from '../../src/store/open-store.ts';

/** The drift-check action: read inputs, call the core, set outputs and the job summary. */
try {
  const cwd = resolve(core.getInput('working-directory') || '.');
  const specPath = resolve(cwd, core.getInput('spec') || 'mlship.yaml');
  const spec = await loadSpec(specPath);
  const month = core.getInput('month');
  const from = core.getInput('from');
  const window = parseWindow(
    month ? { month } : { from, to: core.getInput('to'), last: from ? '' : core.getInput('last') },
  );
  const reaction = (core.getInput('on-drift') || 'none') as DriftReaction;
  if (!['none', 'dispatch', 'issue'].includes(reaction)) {
    throw new UserError(`on-drift "${reaction}" is not none, dispatch or issue`, {
      field: 'on-drift',
      fix: 'pick one of them',
    });
  }
  const remote = core.getInput('remote');
  const result = await driftCheck({
    spec,
    store: openStore(remote || spec.remote, remote ? cwd : dirname(specPath)),
    environment: core.getInput('environment', { required: true }),
    gitopsDir: resolve(cwd, core.getInput('gitops-path') || 'gitops'),
    from: window.from,
    to: window.to,
    labels: core
      .getInput('labels')
      .split(/[\n,]/)
      .map((path) => path.trim())
      .filter(Boolean)
      .map((path) => resolve(cwd, path)),
    outDir: resolve(cwd, core.getInput('out-dir') || '.mlship/drift'),
    onProgress: (message) => core.info(message),
  });
  core.setOutput('drifted', String(result.drifted));
  core.setOutput('drift-share', String(result.driftShare));
  core.setOutput('drifted-features', result.driftedFeatures.join(','));
  core.setOutput('judged', String(result.judged));
  core.setOutput('rows', String(result.window.rows));
  core.setOutput('report-path', result.paths.report);
  core.setOutput('json-path', result.paths.json);

  const reportUrl = core.getInput('report-url') || undefined;
  let action = 'none';
  if (reaction !== 'none' && result.drifted) {
    const reacted = await reactToDrift(result, {
      client: createGitHubClient({ token: core.getInput('token') }),
      repo: repoFromEnv(),
      on: reaction,
      workflow: core.getInput('workflow') || 'retrain.yml',
      ref: core.getInput('ref') || process.env.GITHUB_REF_NAME || 'main',
      windowInputs: core.getBooleanInput('window-inputs'),
      reportUrl,
    });
    action = reacted.action;
    if (reacted.issue) {
      core.setOutput('issue-number', String(reacted.issue.number));
      core.info(`drift issue #${reacted.issue.number} ${reacted.issue.action}: ${reacted.issue.url}`);
    } else core.info(`retraining dispatched: ${core.getInput('workflow') || 'retrain.yml'}`);
  }
  core.setOutput('reaction', action);
  await core.summary.addRaw(renderDriftMarkdown(result, reportUrl)).write();
} catch (error) {
  core.setFailed(isUserError(error) ? error.message : ((error as Error).stack ?? String(error)));
}
