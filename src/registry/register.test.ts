import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { afterEach, describe, expect, it } from 'vitest';
import { createRegistryWorld, putFakeRun } from '../../test/support/registry-world.ts';
import { parseYaml } from '../util/fs.ts';
import { validate } from '../util/validate.ts';
import { ledgerSchema } from './ledger.ts';
import { readLedger } from './ledger-io.ts';
import { register } from './register.ts';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/** The ledger and tags as the bare remote has them, read through a fresh clone. */
async function remoteState(root: string, origin: string) {
  const dir = join(root, `check-${roots.length}-${Math.random().toString(16).slice(2)}`);
  await simpleGit().clone(origin, dir);
  const git = simpleGit(dir);
  const ledger = await readLedger(join(dir, 'gitops'), 'flight-delay');
  const tags = (await git.raw(['tag', '-l'])).split('\n').filter(Boolean).sort();
  return { dir, git, ledger, tags };
}

describe('register', () => {
  it('uploads content-addressed artifacts, appends v1, commits, tags and pushes', async () => {
    const world = await createRegistryWorld(1);
    roots.push(world.root);
    const { sha256 } = await putFakeRun(world.store, 'run-a', { auc: 0.71 });
    const result = await register({
      model: 'flight-delay',
      runId: 'run-a',
      store: world.store,
      repoDir: world.clones[0],
      identity: { name: 'mlship bot', email: 'bot@mlship.invalid' },
    });
    expect(result).toMatchObject({
      version: 1,
      tag: 'flight-delay@v1.0.0',
      alreadyRegistered: false,
      attempts: 1,
    });
    expect(result.artifact.sha256).toBe(sha256);
    expect(await world.store.exists(`models/flight-delay/${sha256}.onnx`)).toBe(true);
    expect(await world.store.exists(`models/flight-delay/${sha256}.profile.json`)).toBe(true);

    const remote = await remoteState(world.root, world.origin);
    expect(remote.tags).toEqual(['flight-delay@v1.0.0']);
    expect(remote.ledger.versions.map((v) => [v.version, v.runId])).toEqual([[1, 'run-a']]);
    expect(remote.ledger.versions[0].metrics).toEqual({ auc: 0.71 });
    // The annotated tag points at the commit that added the version, whose message names it.
    const tagType = (await remote.git.raw(['cat-file', '-t', 'flight-delay@v1.0.0'])).trim();
    expect(tagType).toBe('tag');
    const message = await remote.git.raw(['log', '-n', '1', '--format=%B', 'flight-delay@v1.0.0^{commit}']);
    expect(message).toMatch(/Register flight-delay v1 from run run-a/);
    const people = await remote.git.raw([
      'log',
      '-n',
      '1',
      '--format=%an <%ae>|%cn <%ce>',
      'flight-delay@v1.0.0^{commit}',
    ]);
    expect(people.trim()).toBe('mlship bot <bot@mlship.invalid>|mlship bot <bot@mlship.invalid>');
    const tagger = await remote.git.raw([
      'for-each-ref',
      '--format=%(taggername) %(taggeremail)',
      'refs/tags/flight-delay@v1.0.0',
    ]);
    expect(tagger.trim()).toBe('mlship bot <bot@mlship.invalid>');
    // Registering the same run again changes nothing.
    const again = await register({
      model: 'flight-delay',
      runId: 'run-a',
      store: world.store,
      repoDir: world.clones[0],
    });
    expect(again).toMatchObject({ version: 1, alreadyRegistered: true, commit: result.commit });
    expect((await remoteState(world.root, world.origin)).ledger.versions).toHaveLength(1);
  });

  it('two clones racing on one bare remote both land, with different versions and no entry lost', async () => {
    const world = await createRegistryWorld(2);
    roots.push(world.root);
    await putFakeRun(world.store, 'run-1');
    await putFakeRun(world.store, 'run-2');
    const results = await Promise.all([
      register({ model: 'flight-delay', runId: 'run-1', store: world.store, repoDir: world.clones[0] }),
      register({ model: 'flight-delay', runId: 'run-2', store: world.store, repoDir: world.clones[1] }),
    ]);
    expect(results.map((r) => r.version).sort()).toEqual([1, 2]);
    const remote = await remoteState(world.root, world.origin);
    expect(remote.ledger.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(remote.ledger.versions.map((v) => v.runId).sort()).toEqual(['run-1', 'run-2']);
    expect(remote.tags).toEqual(['flight-delay@v1.0.0', 'flight-delay@v2.0.0']);
    // Each tag names the commit whose ledger ends with that version and run.
    for (const result of results) {
      expect((await remote.git.raw(['rev-parse', `${result.tag}^{commit}`])).trim()).toBe(result.commit);
      const text = await remote.git.show([`${result.tag}:gitops/registry/flight-delay.yaml`]);
      const ledger = validate(ledgerSchema, parseYaml(text, 'ledger'), 'ledger');
      expect(ledger.versions.at(-1)).toMatchObject({ version: result.version, runId: result.runId });
    }
  });

  it('a registration that loses the push renumbers and retries', async () => {
    const world = await createRegistryWorld(2);
    roots.push(world.root);
    await putFakeRun(world.store, 'run-slow');
    await putFakeRun(world.store, 'run-fast');
    const slow = await register({
      model: 'flight-delay',
      runId: 'run-slow',
      store: world.store,
      repoDir: world.clones[0],
      // Between our commit and our push, the other clone registers and pushes first.
      beforePush: async (attempt) => {
        if (attempt === 1) {
          await register({
            model: 'flight-delay',
            runId: 'run-fast',
            store: world.store,
            repoDir: world.clones[1],
          });
        }
      },
    });
    expect(slow).toMatchObject({ version: 2, tag: 'flight-delay@v2.0.0', attempts: 2 });
    const remote = await remoteState(world.root, world.origin);
    expect(remote.ledger.versions.map((v) => [v.version, v.runId])).toEqual([
      [1, 'run-fast'],
      [2, 'run-slow'],
    ]);
    expect(remote.tags).toEqual(['flight-delay@v1.0.0', 'flight-delay@v2.0.0']);
    // The loser's clone is left clean, at the remote's head, with no stray local tag.
    const git = simpleGit(world.clones[0]);
    expect((await git.status()).isClean()).toBe(true);
    expect((await git.raw(['tag', '-l'])).trim().split('\n')).toEqual(['flight-delay@v2.0.0']);
  });

  it('refuses a run that failed or skipped evaluation unless told to', async () => {
    const world = await createRegistryWorld(1);
    roots.push(world.root);
    await putFakeRun(world.store, 'run-bad', { evaluation: 'failed', auc: 0.6 });
    await putFakeRun(world.store, 'run-new', { evaluation: 'none' });
    const options = { model: 'flight-delay', store: world.store, repoDir: world.clones[0] };
    await expect(register({ ...options, runId: 'run-bad' })).rejects.toThrow(
      /failed evaluation: auc 0.6 is below/,
    );
    await expect(register({ ...options, runId: 'run-new' })).rejects.toThrow(/has not been evaluated/);
    const forced = await register({ ...options, runId: 'run-bad', allowUnevaluated: true });
    expect(forced.version).toBe(1);
  });
});
