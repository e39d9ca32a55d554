import { resolve } from 'node:path';
import * as core from '@actions/core';
import { isUserError } from '../../src/errors.ts';
import { createGitHubClient, repoFromEnv } from '../../src/github/client.ts';
import { imageFromInputs, parseVersion } from '../../src/promote/inputs.ts';
import { promote } from '../../src/promote/promote.ts';

/** The promote action: read inputs, call the core, set outputs and the job summary. */
const list = (name: string) =>
  core
    .getInput(name)
    .split(/[\n,]/)
    .map((value) => value.trim())
    .filter(Boolean);

try {
  const token = core.getInput('token');
  const result = await promote({
    repoDir: resolve(core.getInput('working-directory') || '.'),
    gitopsPath: core.getInput('gitops-path') || 'gitops',
    model: core.getInput('model', { required: true }),
    version: parseVersion(core.getInput('version'), 'version'),
    environment: core.getInput('environment', { required: true }),
    image: imageFromInputs({
      image: core.getInput('image'),
      imageTag: core.getInput('image-tag'),
      imageRepository: core.getInput('image-repository'),
      registryId: core.getInput('registry-id'),
      allowCritical: core.getBooleanInput('allow-critical'),
      ecrEndpoint: core.getInput('ecr-endpoint'),
    }),
    remote: core.getInput('remote') || 'origin',
    base: core.getInput('base') || undefined,
    github: token ? { client: createGitHubClient({ token }), ...repoFromEnv() } : undefined,
    labels: list('labels'),
    reviewers: list('reviewers'),
    reportUrl: core.getInput('report-url') || undefined,
    onProgress: (message) => core.info(message),
  });
  core.setOutput('branch', result.branch);
  core.setOutput('changed', String(result.changed));
  core.setOutput('up-to-date', String(result.upToDate));
  core.setOutput('version', String(result.version));
  core.setOutput('commit', result.commit ?? '');
  core.setOutput('pr-number', result.pullRequest ? String(result.pullRequest.number) : '');
  core.setOutput('pr-url', result.pullRequest?.url ?? '');
  if (result.upToDate) {
    await core.summary
      .addRaw(
        `${result.environment} already serves ${result.model} v${result.version}; nothing to promote.\n`,
      )
      .write();
  } else {
    if (!result.pullRequest)
      core.info(`No token: open a pull request from ${result.branch} with this body:\n\n${result.body}`);
    await core.summary.addRaw(result.body).write();
  }
} catch (error) {
  core.setFailed(isUserError(error) ? error.message : ((error as Error).stack ?? String(error)));
}
