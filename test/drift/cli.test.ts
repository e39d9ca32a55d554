import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject } from './world.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

describe('mlship drift-check (CLI)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlship-drift-cli-'));
    await makeProject(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints the drift table, writes the report and exits 3 with --fail-on-drift', async () => {
    const cli = join(root, 'src/cli/main.ts');
    const tsx = join(root, 'node_modules/.bin/tsx');
    const error = await run(
      tsx,
      [cli, 'drift-check', '-e', 'staging', '--month', '2001-06', '--fail-on-drift'],
      {
        cwd: dir,
      },
    ).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(error?.code).toBe(3);
    expect(error?.stdout).toMatch(/DRIFTED: \d of 3 features/);
    expect(error?.stdout).toMatch(/distance\s+wasserstein/);
    expect(error?.stdout).toContain('report: .mlship/drift/report.html');

    const { stdout } = await run(
      tsx,
      [cli, 'drift-check', '-e', 'staging', '--from', '2001-06-01', '--to', '2001-06-02', '--json'],
      { cwd: dir },
    );
    const json = JSON.parse(stdout);
    expect(json.window.rows).toBe(0);
    expect(json.judged).toBe(false);
  });
});
