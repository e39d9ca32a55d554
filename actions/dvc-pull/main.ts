/** The dvc-pull action: inputs in, `pull` from src/data, outputs and a job summary out. */
import { dirname, join, resolve } from 'node:path';
import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { type DataProgress, lockDigest, pull, resolveRemote } from '../../src/data/index.ts';

async function run(): Promise<void> {
  const lockPath = resolve(core.getInput('lock') || 'data.lock');
  const workspace = dirname(lockPath);
  const jobsInput = core.getInput('jobs');
  const jobs = jobsInput ? Number(jobsInput) : undefined;
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0)) {
    throw new Error(`input jobs: "${jobsInput}" is not a positive whole number`);
  }
  const remote = await resolveRemote({
    remote: core.getInput('remote') || undefined,
    specPath: core.getInput('spec') || undefined,
    workspace,
  });
  const cacheDir = join(workspace, '.mlship', 'cache');
  const key = `mlship-data-${process.platform}-${await lockDigest(lockPath)}`;
  const prefix = `mlship-data-${process.platform}-`;

  let useCache = (core.getInput('cache') || 'true').toLowerCase() !== 'false';
  if (useCache && !(cache.isFeatureAvailable() && process.env.ACTIONS_RUNTIME_TOKEN)) {
    core.warning(
      'The GitHub Actions cache is not available here (not on a GitHub runner): pulling without it.',
    );
    useCache = false;
  }
  const restoredKey = useCache ? await cache.restoreCache([cacheDir], key, [prefix]) : undefined;
  if (restoredKey) core.info(`restored .mlship/cache from the Actions cache (${restoredKey})`);

  const result = await pull({ workspace, lockPath, remote, jobs, onProgress: logProgress() });

  if (useCache && restoredKey !== key) {
    try {
      await cache.saveCache([cacheDir], key);
    } catch (error) {
      core.warning(`could not save the Actions cache: ${(error as Error).message}`);
    }
  }
  core.setOutput('files', result.files);
  core.setOutput('bytes', result.bytes);
  core.setOutput('fetched', result.fetched);
  core.setOutput('cache-hit', String(result.cacheHit));
  core.info(
    `${result.files} file(s), ${result.bytes} bytes: fetched ${result.fetched} object(s) from ${result.remote}, checked out ${result.checkedOut}, ${result.upToDate} up to date`,
  );
  if (process.env.GITHUB_STEP_SUMMARY) {
    await core.summary
      .addHeading('Data pull', 3)
      .addTable([
        [
          { data: 'files', header: true },
          { data: 'size', header: true },
          { data: 'fetched from remote', header: true },
          { data: 'checked out', header: true },
          { data: 'Actions cache', header: true },
        ],
        [
          String(result.files),
          `${(result.bytes / 1e6).toFixed(1)} MB`,
          `${result.fetched} (${(result.fetchedBytes / 1e6).toFixed(1)} MB)`,
          String(result.checkedOut),
          restoredKey ? (restoredKey === key ? 'exact hit' : 'partial hit') : useCache ? 'miss' : 'off',
        ],
      ])
      .addRaw(`Remote: <code>${result.remote}</code>`, true)
      .write();
  }
}

/** A log line per phase, and at most one every 5 s while it runs. */
function logProgress(): (progress: DataProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.done !== p.total && now - last < 5000) return;
    last = now;
    core.info(`${p.phase}: ${p.done}/${p.total}`);
  };
}

run().catch((error: unknown) => core.setFailed(error instanceof Error ? error.message : String(error)));
