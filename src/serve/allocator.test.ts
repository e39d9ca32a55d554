import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SERVING_ALLOCATOR_ENV, servingAllocatorEnv } from './allocator.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');

/** The runtime stage's ENV assignments (the last FROM onwards), continuation lines joined. */
async function imageEnv(): Promise<Record<string, string>> {
  const dockerfile = await readFile(join(root, 'serving/Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')).replace(/\\\n\s*/g, ' ');
  const env: Record<string, string> = {};
  for (const line of runtime.split('\n')) {
    if (!line.startsWith('ENV ')) continue;
    for (const [, key, value] of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[key] = value;
  }
  return env;
}

describe('the serving allocator', () => {
  it('is what the image sets', async () => {
    const env = await imageEnv();
    expect(env.LD_PRELOAD).toBe(SERVING_ALLOCATOR_ENV.LD_PRELOAD);
    expect(env.MALLOC_CONF).toBe(SERVING_ALLOCATOR_ENV.MALLOC_CONF);
  });

  it('is preloaded into a process started with servingAllocatorEnv (Debian libjemalloc2 installed)', async () => {
    const env = servingAllocatorEnv({});
    expect(env).toEqual(SERVING_ALLOCATOR_ENV);
    const { stdout, stderr } = await run(
      process.execPath,
      ['-e', "process.stdout.write(require('fs').readFileSync('/proc/self/maps', 'utf8'))"],
      { env: { PATH: process.env.PATH, ...env }, maxBuffer: 64 * 1024 * 1024 },
    );
    expect(stderr).toBe('');
    expect(stdout).toMatch(/libjemalloc\.so\.2/);
  });

  it('leaves a preload the caller already chose alone', () => {
    expect(servingAllocatorEnv({ LD_PRELOAD: '/opt/other.so' })).toEqual({});
  });
});
