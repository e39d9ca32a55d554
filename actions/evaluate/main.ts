import { dirname, resolve } from 'node:path';
import * as core from '@actions/core';
import { loadSpec } from '../../src/config/spec.ts';
import { isUserError } from '../../src/errors.ts';
import { evaluate } from '../../src/evaluate/evaluate.ts';
import { createGitHubClient, repoFromEnv } from '../../src/github/client.ts';
import { evaluateMarker, upsertComment } from '../../src/github/comments.ts';
import { openStore } from '../../src/store/open-store.ts';

/** The evaluate action: read inputs, call the core, set outputs, comment, write the job summary. */
try {
  const cwd = resolve(core.getInput('working-directory') || '.');
  const specPath = resolve(cwd, core.getInput('spec') || 'mlship.yaml');
  const spec = await loadSpec(specPath);
  const remote = core.getInput('remote');
  const reportPath = core.getInput('report-path');
  const result = await evaluate({
    spec,
    runId: core.getInput('run-id', { required: true }),
    store: openStore(remote || spec.remote, remote ? cwd : dirname(specPath)),
    root: dirname(specPath),
    gitopsDir: resolve(cwd, core.getInput('gitops-path') || 'gitops'),
    championEnvironment: core.getInput('environment') || 'production',
    threshold: Number(core.getInput('threshold') || '0.5'),
    reportPath: reportPath ? resolve(cwd, reportPath) : undefined,
    reportLink: core.getInput('report-url') || undefined,
    onProgress: (message) => core.info(message),
  });
  core.setOutput('passed', String(result.passed));
  core.setOutput('report-path', result.reportPath);
  core.setOutput('report-key', result.reportKey);
  core.setOutput('metrics', JSON.stringify(result.metrics));
  core.setOutput('champion-metrics', result.champion ? JSON.stringify(result.champion.metrics) : '');
  core.setOutput('champion-version', result.champion ? String(result.champion.version) : '');
  core.setOutput('deltas', JSON.stringify(result.deltas));
  core.setOutput('gates', JSON.stringify(result.gates));

  const prNumber = Number(core.getInput('pr-number'));
  const token = core.getInput('token');
  if (prNumber > 0 && token) {
    const comment = await upsertComment({
      client: createGitHubClient({ token }),
      ...repoFromEnv(),
      issueNumber: prNumber,
      marker: evaluateMarker(spec.model),
      body: result.markdown,
    });
    core.setOutput('comment-url', comment.url);
    core.info(`PR comment ${comment.action}: ${comment.url}`);
  }
  await core.summary.addRaw(result.markdown).write();

  if (!result.passed && core.getInput('fail-on-gate') !== 'false') {
    const failed = result.gates.filter((g) => g.status === 'fail');
    core.setFailed(
      `${failed.length} gate(s) failed:\n${failed.map((g) => `  ${g.gate} ${g.metric}: ${g.detail}`).join('\n')}`,
    );
  }
} catch (error) {
  core.setFailed(isUserError(error) ? error.message : ((error as Error).stack ?? String(error)));
}
