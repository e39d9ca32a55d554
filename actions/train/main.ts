import { resolve } from 'node:path';
import * as core from '@actions/core';
import { parseParams } from '../../src/cli/commands/train.ts';
import { isUserError, UserError } from '../../src/errors.ts';
import { openStore } from '../../src/store/open-store.ts';
import { renderTrainSummary } from '../../src/train/summary.ts';
import { type TrainerType, train } from '../../src/train/train.ts';

/** The train action: read inputs, call the core train step, set outputs and the job summary. */
const list = (name: string) =>
  core
    .getInput(name)
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);

try {
  const cwd = resolve(core.getInput('working-directory') || '.');
  const trainer = (core.getInput('trainer') || undefined) as TrainerType | undefined;
  if (trainer && !['gbdt', 'linear', 'command'].includes(trainer)) {
    throw new UserError(`trainer "${trainer}" is not gbdt, linear or command`, {
      field: 'trainer',
      fix: 'pick one of them',
    });
  }
  const remote = core.getInput('remote');
  const trainPaths = list('train-paths');
  const testPaths = list('test-paths');
  const result = await train({
    specPath: resolve(cwd, core.getInput('spec') || 'mlship.yaml'),
    trainer,
    params: parseParams(list('params')),
    trainPaths: trainPaths.length > 0 ? trainPaths : undefined,
    testPaths: testPaths.length > 0 ? testPaths : undefined,
    store: remote ? openStore(remote, cwd) : undefined,
    baseline: core.getInput('baseline') !== 'false',
    onProgress: (message) => core.info(message),
  });
  const test = result.record.metrics.test;
  core.setOutput('run-id', result.runId);
  core.setOutput('model-path', result.paths.model);
  core.setOutput('profile-path', result.paths.profile);
  core.setOutput('record-path', result.paths.record);
  if (test.auc !== undefined) core.setOutput('auc', String(test.auc));
  if (test.log_loss !== undefined) core.setOutput('log-loss', String(test.log_loss));
  core.setOutput('metrics', JSON.stringify(test));
  await core.summary.addRaw(renderTrainSummary(result.record, result.storeUrl)).write();
} catch (error) {
  core.setFailed(isUserError(error) ? error.message : ((error as Error).stack ?? String(error)));
}
