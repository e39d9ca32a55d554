import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/cli/commands/runs.ts';
import { readRun } from '../../src/runs/store.ts';
import { openStore } from '../../src/store/open-store.ts';
import { train } from '../../src/train/train.ts';
import { syntheticProject } from './synthetic.ts';

const run = promisify(execFile);
const cli = join(import.meta.dirname, '../../src/cli/main.ts');
const tsx = join(import.meta.dirname, '../../node_modules/.bin/tsx');

let root: string;
let runIds: string[];
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mlship-runs-'));
  const { spec, specPath } = await syntheticProject(root, { type: 'linear', params: { l2: 1 } }, {}, 1500);
  const first = await train({ spec, specPath, root });
  const second = await train({ spec, specPath, root, params: { l2: 1000 } });
  runIds = [first.runId, second.runId];
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('mlship runs', () => {
  it('compares two runs: differing parameters and metric deltas', async () => {
    const store = openStore(join(root, '.mlship/remote'));
    const [a, b] = await Promise.all(runIds.map((id) => readRun(store, id)));
    const comparison = compareRuns(a, b);
    expect(comparison.params.find((p) => p.name === 'l2')).toEqual({ name: 'l2', a: 1, b: 1000 });
    const auc = comparison.metrics.find((m) => m.split === 'test' && m.name === 'auc')!;
    expect(auc.delta).toBeCloseTo(b.metrics.test.auc - a.metrics.test.auc, 12);
    expect(comparison.data.same).toBe(true);
  });

  it('ls, show and compare from the command line (--json and tables)', async () => {
    const options = { cwd: root, timeout: 60_000 };
    const ls = JSON.parse((await run(tsx, [cli, 'runs', 'ls', '--json'], options)).stdout);
    expect(ls.map((r: { runId: string }) => r.runId)).toEqual([...runIds].sort().reverse());
    const show = (await run(tsx, [cli, 'runs', 'show', runIds[0]], options)).stdout;
    expect(show).toContain(`run ${runIds[0]}`);
    expect(show).toMatch(/auc\s+0\.\d{4}\s+0\.\d{4}/);
    const compare = (await run(tsx, [cli, 'runs', 'compare', runIds[0], runIds[1]], options)).stdout;
    expect(compare).toMatch(/l2\s+1\s+1000\s+differs/);
    await expect(run(tsx, [cli, 'runs', 'show', 'nope'], options)).rejects.toMatchObject({
      stderr: expect.stringContaining('no run nope in the store'),
    });
  });
});
