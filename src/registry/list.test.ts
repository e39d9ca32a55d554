import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRegistryWorld, putFakeRun } from '../../test/support/registry-world.ts';
import { envManifestPath } from '../gitops/manifest.ts';
import { toYaml, writeFileAtomic } from '../util/fs.ts';
import { listRegistry, registeredModels } from './list.ts';
import { register } from './register.ts';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

describe('listRegistry', () => {
  it('lists versions with metrics and derives the environments serving each from the overlays', async () => {
    const world = await createRegistryWorld(1);
    roots.push(world.root);
    const repoDir = world.clones[0];
    const gitopsDir = join(repoDir, 'gitops');
    await putFakeRun(world.store, 'run-1', { auc: 0.7 });
    await putFakeRun(world.store, 'run-2', { auc: 0.72 });
    const v1 = await register({
      model: 'flight-delay',
      runId: 'run-1',
      store: world.store,
      repoDir,
      push: false,
    });
    const v2 = await register({
      model: 'flight-delay',
      runId: 'run-2',
      store: world.store,
      repoDir,
      push: false,
    });
    const pin = async (environment: string, version: number, sha256: string) =>
      writeFileAtomic(
        envManifestPath(gitopsDir, environment),
        toYaml({
          schema: 1,
          model: 'flight-delay',
          version,
          environment,
          artifact: { uri: `file:///x/models/flight-delay/${sha256}.onnx`, sha256 },
          profile: { uri: `file:///x/models/flight-delay/${sha256}.profile.json`, sha256: 'c'.repeat(64) },
        }),
      );
    await pin('production', 1, v1.artifact.sha256);
    await pin('staging', 2, v2.artifact.sha256);
    await pin('canary', 7, 'd'.repeat(64));

    const listing = await listRegistry(gitopsDir, 'flight-delay');
    expect(listing.versions.map((v) => [v.version, v.tag, v.runId, v.metrics.auc, v.environments])).toEqual([
      [1, 'flight-delay@v1.0.0', 'run-1', 0.7, ['production']],
      [2, 'flight-delay@v2.0.0', 'run-2', 0.72, ['staging']],
    ]);
    expect(listing.unknown).toEqual([{ environment: 'canary', version: 7, sha256: 'd'.repeat(64) }]);
    expect(await registeredModels(gitopsDir)).toEqual(['flight-delay']);
  });
});
