import { join, relative } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { UserError } from '../errors.ts';
import type { ObjectStore } from '../store/store.ts';
import {
  getVerified,
  modelKey,
  profileKey,
  readEvaluation,
  readRunRecord,
  runKey,
  sha256Hex,
  storeUri,
} from './artifacts.ts';
import { gitTagFor, type LedgerEntry, ledgerPath } from './ledger.ts';
import { nextVersion, readLedger, writeLedger } from './ledger-io.ts';

/**
 * register: upload a run's model and profile under content-addressed keys, append a version to
 * the git ledger, commit, tag `<model>@v<N>.0.0` and push both in one atomic push. Two registrations
 * racing on one branch both land: the loser of the push undoes its commit, catches up with the
 * remote, re-reads the ledger, takes the next number and tries again.
 */
export interface RegisterOptions {
  model: string;
  runId: string;
  store: ObjectStore;
  /** A git work tree (clone) that holds the gitops directory. */
  repoDir: string;
  /** The gitops directory, relative to repoDir. */
  gitopsDir?: string;
  /** Register even though the run has no passing evaluation (`--allow-unevaluated`). */
  allowUnevaluated?: boolean;
  /** Push to this remote; false to commit and tag locally only. */
  push?: boolean;
  remote?: string;
  /** Branch to push; default the checked-out branch. */
  branch?: string;
  /** Attempts before giving up when pushes keep being rejected. */
  maxAttempts?: number;
  onProgress?: (message: string) => void;
  now?: () => Date;
  /** Author, committer and tagger for the ledger commit and tag; default git's own configuration. */
  identity?: { name: string; email: string };
  /** Called after the version is committed locally, before it is pushed (lets tests lose a race on purpose). */
  beforePush?: (attempt: number) => Promise<void>;
}

export interface RegisterResult {
  model: string;
  version: number;
  tag: string;
  runId: string;
  artifact: { uri: string; sha256: string; bytes: number };
  profile: { uri: string; sha256: string };
  /** The commit that added the version (or added it earlier, when already registered). */
  commit: string;
  /** Push attempts it took (1 when nobody raced). */
  attempts: number;
  /** The run was registered before; nothing new was written. */
  alreadyRegistered: boolean;
  metrics: Record<string, number>;
}

/** Push errors that mean "someone else moved the branch first": worth a re-read and retry. */
const RETRYABLE_PUSH =
  /rejected|non-fast-forward|fetch first|failed to push|atomic|cannot lock ref|unable to lock|stale info/i;

export async function register(options: RegisterOptions): Promise<RegisterResult> {
  const { store, runId, model } = options;
  const log = options.onProgress ?? (() => {});
  const remote = options.remote ?? 'origin';
  const push = options.push ?? true;
  const maxAttempts = options.maxAttempts ?? 6;
  const gitopsDir = join(options.repoDir, options.gitopsDir ?? 'gitops');

  const run = await readRunRecord(store, runId);
  if (run.model !== model) {
    throw new UserError(`run ${runId} trained model "${run.model}", not "${model}"`, {
      field: 'model',
      fix: 'register it under its own model name',
    });
  }
  const modelBytes = await getVerified(store, runKey(runId, 'model.onnx'), run.artifacts?.model?.sha256);
  const sha256 = sha256Hex(modelBytes);
  const profileBytes = await getVerified(
    store,
    runKey(runId, 'profile.json'),
    run.artifacts?.profile?.sha256,
  );
  const profileSha256 = sha256Hex(profileBytes);

  const evaluation = await readEvaluation(store, runId);
  if (!options.allowUnevaluated) {
    if (!evaluation) {
      throw new UserError(`run ${runId} has not been evaluated`, {
        fix:
          'run `mlship evaluate --run ' +
          runId +
          '` first, or pass --allow-unevaluated to register it anyway',
      });
    }
    if (evaluation.sha256 !== sha256) {
      throw new UserError(`the evaluation of run ${runId} is of a different model file`, {
        fix: 'evaluate the run again, or pass --allow-unevaluated',
      });
    }
    if (!evaluation.passed) {
      const failed = evaluation.gates.filter((g) => g.status === 'fail').map((g) => g.detail);
      throw new UserError(`run ${runId} failed evaluation: ${failed.join('; ')}`, {
        fix: 'improve the model, or pass --allow-unevaluated to register it anyway',
      });
    }
  }

  // Content addressed, so uploading twice writes the same bytes under the same key: idempotent.
  const artifactKey = modelKey(model, sha256);
  const profKey = profileKey(model, sha256);
  if (!(await store.exists(artifactKey))) await store.put(artifactKey, modelBytes);
  if (!(await store.exists(profKey))) await store.put(profKey, profileBytes);
  log(`uploaded ${artifactKey} (${modelBytes.byteLength} bytes)`);

  const artifact = { uri: storeUri(store, artifactKey), sha256, bytes: modelBytes.byteLength };
  const profile = { uri: storeUri(store, profKey), sha256: profileSha256 };
  const metrics = evaluation?.sha256 === sha256 ? evaluation.metrics : run.metrics.test;

  // Identity as `-c` settings, not environment variables: simple-git guards the environment it passes on.
  const git = simpleGit({
    baseDir: options.repoDir,
    config: options.identity
      ? [`user.name=${options.identity.name}`, `user.email=${options.identity.email}`]
      : [],
  });
  const branch = options.branch ?? (await git.revparse(['--abbrev-ref', 'HEAD'])).trim();
  const file = ledgerPath(gitopsDir, model);
  const fileInRepo = relative(options.repoDir, file);

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (push) await catchUp(git, remote, branch);
    const ledger = await readLedger(gitopsDir, model);
    const existing = ledger.versions.find((v) => v.runId === runId && v.artifact.sha256 === sha256);
    if (existing) {
      log(`run ${runId} is already ${gitTagFor(model, existing.version)}`);
      const commit = await commitOfVersion(git, gitTagFor(model, existing.version), fileInRepo);
      return {
        model,
        version: existing.version,
        tag: gitTagFor(model, existing.version),
        runId,
        artifact,
        profile,
        commit,
        attempts: attempt,
        alreadyRegistered: true,
        metrics: existing.metrics,
      };
    }
    const version = nextVersion(ledger);
    const tag = gitTagFor(model, version);
    const entry: LedgerEntry = {
      version,
      createdAt: (options.now?.() ?? new Date()).toISOString(),
      runId,
      artifact,
      profile,
      metrics,
      lineage: {
        commit: run.git?.commit ?? null,
        data: { ...(run.data?.train ?? {}), ...(run.data?.test ?? {}) },
        params: run.trainer?.params ?? {},
      },
      signature: run.signature,
    };
    await writeLedger(gitopsDir, { ...ledger, versions: [...ledger.versions, entry] });
    await git.add(fileInRepo);
    await git.commit(
      `Register ${model} v${version} from run ${runId}\n\nartifact: ${artifactKey}\nsha256: ${sha256}\nmetrics: ${formatMetrics(metrics)}`,
      [fileInRepo],
    );
    const commit = (await git.revparse(['HEAD'])).trim();
    await git.raw(['tag', '-a', tag, '-m', `${model} v${version}: run ${runId}, sha256 ${sha256}`, commit]);
    const registered: RegisterResult = {
      model,
      version,
      tag,
      runId,
      artifact,
      profile,
      commit,
      attempts: attempt,
      alreadyRegistered: false,
      metrics,
    };
    if (!push) {
      log(`registered ${tag} locally (not pushed)`);
      return registered;
    }
    await options.beforePush?.(attempt);
    try {
      // Atomic: the branch and the tag land together or not at all, so a lost race leaves no stray tag.
      await git.push(remote, branch, ['--atomic', `refs/tags/${tag}`]);
      log(`registered ${tag} (commit ${commit.slice(0, 10)}, ${attempt} attempt(s))`);
      return registered;
    } catch (error) {
      // Undo our commit and tag whatever happened, so the work tree is as we found it.
      await git.raw(['tag', '-d', tag]);
      await git.raw(['reset', '--keep', 'HEAD~1']);
      if (!RETRYABLE_PUSH.test(String((error as Error).message))) throw error;
      log(`push of ${tag} was rejected (someone registered first); retrying`);
      // A little jitter so two losers do not collide again in lockstep.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 150 * attempt));
    }
  }
  throw new Error(`could not register ${model} run ${runId}: the push was rejected ${maxAttempts} times`);
}

/** The commit the version's tag names; without the tag, the last commit that touched the ledger. */
async function commitOfVersion(git: SimpleGit, tag: string, ledgerFile: string): Promise<string> {
  const tagged = await git
    .raw(['rev-parse', '--verify', '--quiet', `refs/tags/${tag}^{commit}`])
    .then((out) => out.trim())
    .catch(() => '');
  return tagged || (await git.raw(['log', '-n', '1', '--format=%H', '--', ledgerFile])).trim();
}

/** Brings the local branch up to the remote's, keeping local commits on top. */
async function catchUp(git: SimpleGit, remote: string, branch: string): Promise<void> {
  try {
    await git.fetch(remote, branch);
  } catch (error) {
    // A remote without the branch yet (a brand-new repository): nothing to catch up with.
    if (/couldn't find remote ref/i.test(String((error as Error).message))) return;
    throw error;
  }
  const remoteRef = `${remote}/${branch}`;
  const behind = Number((await git.raw(['rev-list', '--count', `HEAD..${remoteRef}`])).trim());
  if (behind > 0) await git.raw(['rebase', '--autostash', remoteRef]);
}

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k}=${Number(v.toPrecision(6))}`)
    .join(' ');
}
