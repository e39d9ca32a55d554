/**
 * `npx tsx scripts/soak-serve.ts [--duration 60] [--connections 64] [--model m.onnx]`: the
 * service as the image runs it, under wrk at concurrency 64 for 60 s with a mix of 1-row and
 * 100-row requests. Prints the status counts (no 5xx expected), and the resident memory of the
 * serving process every 5 s, then whether it stopped growing (second half vs first half) and its
 * peak against the 256 MiB budget. A script, not a test: it takes a minute and prints figures.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { servingAllocatorEnv } from '../src/serve/allocator.ts';
import { sampleRow, writeFixtureEnv } from '../test/serving/fixture-model.ts';
import { buildServiceApp } from '../test/serving/image.ts';
import { servedModel } from './served-model.ts';

const run = promisify(execFile);
const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
};
const duration = Number(flag('duration', '60'));
const connections = Number(flag('connections', '64'));

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmRSS:\s+(\d+) kB/)![1]) / 1024;
}

const work = await mkdtemp(join(tmpdir(), 'mlship-soak-'));
let child: ChildProcess | undefined;
try {
  const { path: modelPath, model, profile } = await servedModel(flag('model', ''));
  console.log(`model: ${modelPath ?? 'the small test model'}`);
  const { manifestPath: manifest, remote } = await writeFixtureEnv(work, {
    model,
    profile,
    environment: 'soak',
  });
  const appDir = join(work, 'app');
  await buildServiceApp(appDir);
  const port = 18950;
  child = spawn(process.execPath, ['dist/serving/main.js'], {
    cwd: appDir,
    env: {
      ...process.env,
      // The image's allocator (serving/Dockerfile), when this machine has it.
      ...servingAllocatorEnv(),
      MLSHIP_MANIFEST: manifest,
      MLSHIP_REMOTE: remote,
      MLSHIP_HOST: '127.0.0.1',
      MLSHIP_PORT: String(port),
      MLSHIP_CAPTURE_FLUSH_MS: '5000',
      MLSHIP_LOG_LEVEL: flag('log-level', 'info'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/v2/health/ready`)).ok) break;
    } catch {}
    if (i > 600) throw new Error('the service never became ready');
    await new Promise((r) => setTimeout(r, 250));
  }
  const rows = Array.from({ length: 2000 }, (_, i) => sampleRow(i));
  const bodies = [
    ...rows.slice(0, 500).map((row) => JSON.stringify({ instances: [row] })),
    ...Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({ instances: rows.slice(i * 100, i * 100 + 100) }),
    ),
  ];
  const lua = join(work, 'soak.lua');
  await writeFile(
    lua,
    `local bodies = {${bodies.map((b) => `[==[${b}]==]`).join(',\n')}}\nlocal i = 0\n` +
      `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n` +
      `request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend\n`,
  );
  const samples: number[] = [];
  const sampler = setInterval(async () => {
    samples.push(await rssMiB(child!.pid!));
    console.log(`t=${samples.length * 5}s rss ${samples.at(-1)!.toFixed(1)} MiB`);
  }, 5000);
  const { stdout } = await run(
    'wrk',
    ['-t2', `-c${connections}`, `-d${duration}s`, '-s', lua, `http://127.0.0.1:${port}/predict`],
    {
      maxBuffer: 1 << 24,
    },
  );
  clearInterval(sampler);
  console.log(stdout.trim());
  // wrk counts every answer that is not 2xx/3xx (its per-thread Lua states cannot report statuses).
  const non2xx = Number(stdout.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const errors = stdout.match(/Socket errors: .*/)?.[0] ?? 'Socket errors: none';
  // RSS saws up and down with garbage collection: compare the halves' means, not single samples.
  const half = Math.floor(samples.length / 2);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(samples.slice(0, half));
  const second = mean(samples.slice(half));
  console.log(
    `\nnon-2xx responses: ${non2xx}${non2xx === 0 ? ' (so no 5xx)' : ''}; ${errors}; RSS peak ${Math.max(...samples).toFixed(1)} MiB ` +
      `(budget 256); mean ${first.toFixed(1)} MiB in the first half, ${second.toFixed(1)} MiB in the second ` +
      `(${second <= first * 1.1 ? 'not growing' : 'GROWING'})`,
  );
  const ready = await fetch(`http://127.0.0.1:${port}/v2/health/ready`);
  console.log(`ready after the soak: ${ready.status}`);
} finally {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.on('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(work, { recursive: true, force: true });
}
