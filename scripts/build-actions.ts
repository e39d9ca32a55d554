/**
 * Bundles every action (`actions/<name>/main.ts`) into its committed `dist/index.js` with ncc, the
 * way GitHub runs it: one file plus any native assets, no node_modules.
 * `--check` rebuilds into memory and fails when a committed bundle differs (stale bundles).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const ncc = require('@vercel/ncc') as (
  input: string,
  options: Record<string, unknown>,
) => Promise<{ code: string; assets: Record<string, { source: Buffer | string }> }>;

const check = process.argv.includes('--check');
const only = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const root = join(import.meta.dirname, '..');
const names = (await readdir(join(root, 'actions'), { withFileTypes: true }))
  .filter((entry) => entry.isDirectory() && existsSync(join(root, 'actions', entry.name, 'main.ts')))
  .map((entry) => entry.name)
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();

// ncc resolves TypeScript entries with CommonJS conditions, and @actions/core 3 is ESM-only; so tsc
// first transpiles the actions and the core into .build/ (plain ESM JavaScript), and ncc bundles that.
// The bundle's module ids follow the paths ncc sees, so the folder is always .build/ (a per-run
// folder would make --check depend on the run); a lock keeps two builds from sharing it.
const buildDir = join(root, '.build');
const releaseLock = await lockBuildDir(`${buildDir}.lock`);
await rm(buildDir, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
  {
    stdio: 'inherit',
  },
);

let stale = 0;
for (const name of names) {
  const dir = join(root, 'actions', name);
  const { code, assets } = await ncc(join(buildDir, 'actions', name, 'main.js'), {
    sourceMap: false,
    minify: false,
    quiet: true,
    // Bundles must not depend on the machine that built them.
    v8cache: false,
    license: 'licenses.txt',
  });
  const files: Record<string, Buffer | string> = { 'index.js': code };
  for (const [asset, { source }] of Object.entries(assets)) files[asset] = source;
  await bundleOnnxRuntime(files);
  if (check) {
    for (const [file, content] of Object.entries(files)) {
      const path = join(dir, 'dist', file);
      const current = existsSync(path) ? await readFile(path) : undefined;
      if (!current?.equals(Buffer.from(content))) {
        console.error(`stale bundle: actions/${name}/dist/${file} (run npm run build:actions)`);
        stale++;
      }
    }
  } else {
    await rm(join(dir, 'dist'), { recursive: true, force: true });
    for (const [file, content] of Object.entries(files)) {
      const path = join(dir, 'dist', file);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    }
    console.log(
      `actions/${name}/dist: ${Object.keys(files).length} file(s), ${(code.length / 1024).toFixed(0)} KiB`,
    );
  }
}
await rm(buildDir, { recursive: true, force: true });
await releaseLock();
if (stale > 0) process.exit(1);

/** mkdir is atomic: the folder is the lock, holding the owner's pid so a dead owner's lock is taken over. */
async function lockBuildDir(lock: string): Promise<() => Promise<void>> {
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      return () => rm(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => '0'));
      if (owner > 0 && !isAlive(owner)) await rm(lock, { recursive: true, force: true });
      else if (attempt > 1200)
        throw new Error(`${lock} is held by process ${owner}; remove it if that build is gone`);
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * onnxruntime-node loads its native binding with a computed path ncc cannot follow
 * (`../bin/napi-v6/${platform}/${arch}/onnxruntime_binding.node`, relative to the bundle). Actions
 * run on Linux x64 runners, so a bundle that scores models carries that platform's binding and
 * shared library in dist/bin/ and loads them from there. Identical files in several actions are
 * one blob in git.
 */
async function bundleOnnxRuntime(files: Record<string, Buffer | string>): Promise<void> {
  // The bundle's source text, not a template of ours.
  const tail = '/napi-v6/$' + '{process.platform}/$' + '{process.arch}/onnxruntime_binding.node`';
  const reference = '`../bin' + tail;
  const code = String(files['index.js']);
  if (!code.includes(reference)) return;
  files['index.js'] = code.replace(reference, '`./bin' + tail);
  const dir = join(root, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64');
  for (const file of await readdir(dir)) {
    files[`bin/napi-v6/linux/x64/${file}`] = await readFile(join(dir, file));
  }
}
