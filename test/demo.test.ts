import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo/demo.ts';
import { parseEnvManifest } from '../src/gitops/manifest.ts';

/**
 * The README's main job on a slice of the data: every step through its action's committed bundle,
 * the real service, real git, a local remote. The full run is `npm run demo`.
 */
describe('npm run demo (30,000 flights a month)', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the lifecycle from data to a retrained model served in staging', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlship-demo-'));
    const lines: string[] = [];
    const summary = await runDemo({
      dir,
      repoRoot: resolve(import.meta.dirname, '..'),
      rowsPerMonth: 30_000,
      replayRows: 30_000,
      log: (line) => lines.push(line),
    });
    const log = lines.join('\n');

    // Data: six months pushed, then pulled into a fresh clone by the dvc-pull bundle.
    expect(summary.data).toMatchObject({ files: 6, pushed: 7, pulled: 7 });

    // v1 registered and tagged; the linear challenger refused by the gates; a retrained v2 registered.
    const [first, second, retrained] = summary.versions;
    expect(first.version).toBe(1);
    expect(second).toMatchObject({ trainer: 'linear', passed: false, version: null });
    expect(retrained?.version).toBe(2);
    const tags = await simpleGit(summary.world.origin).tags();
    expect(tags.all).toEqual(expect.arrayContaining(['flight-delay@v1.0.0', 'flight-delay@v2.0.0']));

    // What origin's main says each environment serves: production the champion, staging the retrained.
    const origin = simpleGit(summary.world.origin);
    const manifest = async (env: string) =>
      parseEnvManifest(await origin.show([`main:gitops/overlays/${env}/model.yaml`]), `${env}/model.yaml`);
    expect((await manifest('production')).version).toBe(1);
    expect((await manifest('staging')).version).toBe(2);

    // The service served both months, drained on SIGTERM, and came back on v2.
    expect(log).toMatch(/replay 2001-05[\s\S]*0 errors/);
    expect(log).toMatch(/degradation in 2001-06: retraining/);
    expect(log).toContain('serving flight-delay v2');
    expect(log).not.toMatch(/exited with code [^0]/);

    for (const path of Object.values(summary.reports)) expect(existsSync(path), path).toBe(true);
    const drift = JSON.parse(
      await readFile(join(summary.world.project, '.mlship', 'drift', '2001-06', 'drift.json'), 'utf8'),
    );
    expect(drift.window.rows).toBe(30_000);
    expect(drift.performance.degraded).toBe(true);
  }, 900_000);
});
