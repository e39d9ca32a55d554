import { dirname, resolve } from 'node:path';
import * as core from '@actions/core';
import { loadSpec } from '../../src/config/spec.ts';
import { isUserError } from '../../src/errors.ts';
import { register } from '../../src/registry/register.ts';
import { openStore } from '../../src/store/open-store.ts';

/** The register action: read inputs, call the core, set outputs and the job summary. */
try {
  const cwd = resolve(core.getInput('working-directory') || '.');
  const specPath = resolve(cwd, core.getInput('spec') || 'mlship.yaml');
  const spec = await loadSpec(specPath);
  const remote = core.getInput('remote');
  const result = await register({
    model: spec.model,
    runId: core.getInput('run-id', { required: true }),
    store: openStore(remote || spec.remote, remote ? cwd : dirname(specPath)),
    repoDir: cwd,
    gitopsDir: core.getInput('gitops-path') || 'gitops',
    remote: core.getInput('git-remote') || 'origin',
    branch: core.getInput('branch') || undefined,
    push: core.getInput('push') !== 'false',
    allowUnevaluated: core.getInput('allow-unevaluated') === 'true',
    identity: { name: core.getInput('git-user-name'), email: core.getInput('git-user-email') },
    onProgress: (message) => core.info(message),
  });
  core.setOutput('version', String(result.version));
  core.setOutput('tag', result.tag);
  core.setOutput('artifact-uri', result.artifact.uri);
  core.setOutput('sha256', result.artifact.sha256);
  core.setOutput('commit', result.commit);
  core.setOutput('already-registered', String(result.alreadyRegistered));
  await core.summary
    .addHeading(
      `${spec.model}: ${result.alreadyRegistered ? 'already registered as' : 'registered'} ${result.tag}`,
      3,
    )
    .addTable([
      [
        { data: 'field', header: true },
        { data: 'value', header: true },
      ],
      ['run', result.runId],
      ['version', String(result.version)],
      ['artifact', result.artifact.uri],
      ['sha256', result.artifact.sha256],
      ['commit', result.commit],
      ...Object.entries(result.metrics).map(([name, value]) => [name, String(Number(value.toPrecision(6)))]),
    ])
    .write();
} catch (error) {
  core.setFailed(isUserError(error) ? error.message : ((error as Error).stack ?? String(error)));
}
