import { execFile } from 'node:child_process';
import { copyFile, readFile, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * What serving/Dockerfile runs, without a Docker engine: its compile step into an /app-like
 * directory and its commands. Shared by the process and soak tests and the serving benchmarks, so
 * each runs the service the way the image does.
 */
const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const COMPILE = 'RUN npx tsc -p serving/tsconfig.build.json --outDir /src/dist';

/** The runtime stage's CMD and HEALTHCHECK command, as argument lists. */
export async function imageCommands(): Promise<{ command: string[]; healthcheck: string[] }> {
  const dockerfile = await readFile(join(root, 'serving/Dockerfile'), 'utf8');
  return {
    command: JSON.parse(dockerfile.match(/^CMD (\[.*\])$/m)![1]),
    healthcheck: JSON.parse(dockerfile.match(/^\s+CMD (\[.*\])$/m)![1]),
  };
}

/**
 * Compiles the service from `source` (a checkout; this one by default) with the Dockerfile's tsc
 * command into `appDir` (dist/, package.json, node_modules), the layout the image's CMD runs in.
 * Fails if the Dockerfile no longer compiles that way.
 */
export async function buildServiceApp(appDir: string, source = root): Promise<void> {
  const dockerfile = await readFile(join(root, 'serving/Dockerfile'), 'utf8');
  if (!dockerfile.includes(COMPILE)) {
    throw new Error(
      `serving/Dockerfile no longer compiles the service with "${COMPILE}": update ${import.meta.filename}`,
    );
  }
  await run('npx', ['tsc', '-p', 'serving/tsconfig.build.json', '--outDir', join(appDir, 'dist')], {
    cwd: source,
  });
  await copyFile(join(source, 'package.json'), join(appDir, 'package.json'));
  await symlink(join(root, 'node_modules'), join(appDir, 'node_modules'));
}
