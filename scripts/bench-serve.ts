/**
 * `npm run bench:serve`: the inference service under load, beside two references, in one run on
 * this machine. Prints requests/s and p50/p99 latency for 1 row and 100 rows per request at
 * concurrency 32 (wrk, 2 threads) for:
 *   - a Fastify route that returns a constant (the HTTP ceiling of this machine),
 *   - mlship's service as the image runs it (compiled, `node dist/serving/main.js`), per worker setting,
 *   - FastAPI + uvicorn + scikit-learn gradient boosting (scripts/bench-serve-fastapi.py),
 * and onnxruntime's in-process rows/s for 100-row batches (one session, one thread).
 *
 * Model: --model <model.onnx> (profile.json beside it), else the newest .mlship/runs/<id>/model.onnx,
 * else the small test model. Rows: data/flights/2001-05.parquet when present, else synthetic.
 * Options: --duration <s> (10), --connections <n> (32), --workers <list> (1,0,2), --fastapi-workers <n> (2),
 * --skip-fastapi, --baseline <git ref> (also measure that revision of the service, side by side),
 * --rounds <n> (measure the constant route and the service builds n times in turn).
 * Needs wrk (apt-get install -y wrk) and, for the FastAPI reference, python3-fastapi python3-uvicorn
 * python3-sklearn.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { loadSpec } from '../src/config/spec.ts';
import { loadDataset } from '../src/dataset/parquet.ts';
import { servingAllocatorEnv } from '../src/serve/allocator.ts';
import { columnsFromRecords } from '../src/serve/contract.ts';
import { createSession, runSession } from '../src/serve/session.ts';
import { expectedScore, sampleRow, writeFixtureEnv } from '../test/serving/fixture-model.ts';
import { buildServiceApp } from '../test/serving/image.ts';
import { servedModel } from './served-model.ts';

type Row = Record<string, string | number | null>;
const root = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}
const duration = Number(flag('duration', '10'));
const connections = Number(flag('connections', '32'));
const workerSettings = flag('workers', '1,0,2').split(',').map(Number);
const fastapiWorkers = flag('fastapi-workers', '2');
const skipFastapi = process.argv.includes('--skip-fastapi');

async function flightsRows(files: string[], count: number, withLabel: boolean): Promise<Row[] | undefined> {
  if (!files.every((f) => existsSync(join(root, f)))) return undefined;
  const spec = await loadSpec(join(root, 'mlship.yaml'));
  const { dataset, labels } = await loadDataset(
    files.map((f) => join(root, f)),
    spec.features,
    spec.target,
  );
  const step = Math.max(1, Math.floor(dataset.numRows / count));
  const rows: Row[] = [];
  for (let r = 0; r < dataset.numRows && rows.length < count; r += step) {
    const row: Row = {};
    for (const feature of spec.features) {
      const column = dataset.columns[feature.name];
      if (column.kind === 'numeric')
        row[feature.name] = Number.isNaN(column.values[r]) ? null : column.values[r];
      else row[feature.name] = column.codes[r] < 0 ? null : column.dictionary[column.codes[r]];
    }
    if (withLabel) row.delayed = labels[r];
    rows.push(row);
  }
  return rows;
}

interface Server {
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startServer(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  healthUrl: string,
  cwd = root,
): Promise<Server> {
  // Its own process group, so the CPU time of all its processes (uvicorn workers) can be summed
  // and all of them stopped together.
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited: ${stderr}`);
    try {
      if ((await fetch(healthUrl)).ok) break;
    } catch {}
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`${command} never became ready: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        console.log(
          `  (${command} had already exited: ${child.exitCode ?? child.signalCode} ${stderr.slice(-500)})`,
        );
        return;
      }
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      await exited;
    },
  };
}

/** CPU seconds (user + system) used so far by every process in a process group. */
async function groupCpuSeconds(pgid: number): Promise<number> {
  let ticks = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the command: state(0) ppid(1) pgrp(2) ... utime(11) stime(12).
      if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return ticks / 100;
}

interface Load {
  /** Server CPU time per answered request, in milliseconds (all its processes and threads). */
  cpuMs: number;
  rps: number;
  p50: string;
  p99: string;
  non2xx: number;
}

async function wrk(url: string, bodies: string[], dir: string, pgid: number): Promise<Load> {
  const lua = join(dir, `bodies-${createHash('md5').update(bodies[0]).digest('hex')}.lua`);
  const list = bodies.map((b) => `[==[${b}]==]`).join(',\n');
  await writeFile(
    lua,
    `local bodies = {${list}}\nlocal i = 0\nwrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n` +
      `request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend\n`,
  );
  const cpuBefore = await groupCpuSeconds(pgid);
  const { stdout } = await run(
    'wrk',
    ['-t2', `-c${connections}`, `-d${duration}s`, '--latency', '-s', lua, url],
    { maxBuffer: 1 << 24 },
  );
  const rps = Number(stdout.match(/Requests\/sec:\s+([\d.]+)/)![1]);
  const p50 = stdout.match(/^\s+50%\s+(\S+)/m)![1];
  const p99 = stdout.match(/^\s+99%\s+(\S+)/m)![1];
  const non2xx = Number(stdout.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const requests = Number(stdout.match(/(\d+) requests in/)![1]);
  const cpuMs = (((await groupCpuSeconds(pgid)) - cpuBefore) * 1000) / requests;
  return { rps, p50, p99, non2xx, cpuMs };
}

/** Compiles the service in `source` as the Dockerfile does into `<work>/<name>` (dist/, package.json, node_modules). */
async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'mlship-bench-serve-'));
  try {
    const { path: modelPath, model, profile } = await servedModel(flag('model', ''));
    const rows =
      (await flightsRows(['data/flights/2001-05.parquet'], 2000, false)) ??
      Array.from({ length: 2000 }, (_, i) => sampleRow(i));
    const modelName = modelPath
      ? `flights model ${modelPath}`
      : 'the small test model (no trained model found)';
    console.log(`model: ${modelName}`);
    console.log(
      `rows: ${existsSync(join(root, 'data/flights/2001-05.parquet')) ? 'flights 2001-05' : 'synthetic'}`,
    );

    // The environment the service serves: store + manifest, as register and promote write them.
    const { manifestPath, remote } = await writeFixtureEnv(work, { model, profile, environment: 'bench' });

    // onnxruntime in process: one session, one thread, 100-row batches, the ceiling for 100-row requests.
    const loaded = await createSession(model);
    const batch100 = columnsFromRecords(loaded.contract, rows.slice(0, 100), 'rows');
    for (let i = 0; i < 50; i++) await runSession(loaded, batch100);
    let ortRows = 0;
    const ortStart = performance.now();
    while (performance.now() - ortStart < 3000) {
      await runSession(loaded, batch100);
      ortRows += 100;
    }
    const ortRowsPerSecond = ortRows / ((performance.now() - ortStart) / 1000);
    await loaded.session.release();
    console.log(`onnxruntime in-process, 100-row batches: ${Math.round(ortRowsPerSecond)} rows/s`);

    const one = rows.slice(0, 1000).map((row) => JSON.stringify({ instances: [row] }));
    const hundred = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({ instances: rows.slice(i * 100, i * 100 + 100) }),
    );
    const results: Array<{ name: string; one: Load; hundred: Load }> = [];
    const measure = async (name: string, url: string, server: Server) => {
      const a = await wrk(url, one, work, server.child.pid!);
      const b = await wrk(url, hundred, work, server.child.pid!);
      results.push({ name, one: a, hundred: b });
      console.log(
        `${name}: 1 row ${Math.round(a.rps)} req/s (p50 ${a.p50}, p99 ${a.p99}); 100 rows ${Math.round(b.rps)} req/s`,
      );
    };

    // 1. The HTTP ceiling: Fastify parsing the same JSON bodies and answering a constant.
    const fastifyUrl = pathToFileURL(createRequire(join(root, 'package.json')).resolve('fastify')).href;
    const constantScript = join(work, 'constant.mjs');
    await writeFile(
      constantScript,
      `import Fastify from ${JSON.stringify(fastifyUrl)};\nconst app = Fastify();\n` +
        `app.get('/health', async () => ({ ok: true }));\napp.post('/predict', async () => ({ predictions: [{ label: 0, score: 0.5 }] }));\n` +
        `await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });\n`,
    );
    const rounds = Number(flag('rounds', '1'));
    const measureConstant = async (round: number) => {
      const server = await startServer(
        process.execPath,
        [constantScript],
        { PORT: '18901' },
        'http://127.0.0.1:18901/health',
      );
      try {
        const suffix = rounds > 1 ? ` (round ${round})` : '';
        await measure(`constant Fastify route${suffix}`, 'http://127.0.0.1:18901/predict', server);
      } finally {
        await server.stop();
      }
    };

    // 2. mlship's service, compiled and started as the image does; with --baseline <git ref>, also
    // that revision of it, side by side in the same run (figures on a shared machine drift between
    // runs more than most single changes move them).
    const builds = [{ label: 'mlship', appDir: join(work, 'app') }];
    await buildServiceApp(builds[0].appDir);
    const baseline = flag('baseline', '');
    if (baseline) {
      if (!/^[\w./~^@{}-]+$/.test(baseline)) throw new Error(`--baseline ${baseline} is not a git revision`);
      const source = join(work, 'baseline-src');
      await mkdir(source);
      await run(
        'sh',
        ['-c', `git archive '${baseline}' serving src tsconfig.json package.json | tar -x -C '${source}'`],
        {
          cwd: root,
        },
      );
      await symlink(join(root, 'node_modules'), join(source, 'node_modules'));
      const appDir = join(work, 'baseline-app');
      await buildServiceApp(appDir, source);
      builds.push({ label: `mlship @${baseline}`, appDir });
    }
    // --rounds <n>: the constant route and the service builds measured n times in turn, so a slow
    // spell on the machine falls on all of them rather than on one.
    for (let round = 1; round <= rounds; round++) {
      await measureConstant(round);
      for (const workers of workerSettings) {
        for (const [index, build] of builds.entries()) {
          const port = 18902 + workers * 4 + index;
          const server = await startServer(
            process.execPath,
            ['dist/serving/main.js'],
            {
              // The image's allocator (serving/Dockerfile), when this machine has it.
              ...servingAllocatorEnv(),
              MLSHIP_MANIFEST: manifestPath,
              MLSHIP_REMOTE: remote,
              MLSHIP_HOST: '127.0.0.1',
              MLSHIP_PORT: String(port),
              MLSHIP_WORKERS: String(workers),
              MLSHIP_LOG_LEVEL: flag('log-level', 'info'),
              MLSHIP_POD: `bench-${workers}-${index}`,
            },
            `http://127.0.0.1:${port}/v2/health/ready`,
            build.appDir,
          );
          try {
            await measure(
              `${build.label}, ${workers === 0 ? 'model on the HTTP thread' : `${workers} inference worker thread${workers > 1 ? 's' : ''}`}${rounds > 1 ? ` (round ${round})` : ''}`,
              `http://127.0.0.1:${port}/predict`,
              server,
            );
          } finally {
            await server.stop();
          }
        }
      }
    }

    // 3. FastAPI + uvicorn + scikit-learn, trained on the flights training months.
    if (!skipFastapi && existsSync('/usr/bin/python3')) {
      const train =
        (await flightsRows(['data/flights/2001-01.parquet', 'data/flights/2001-02.parquet'], 50_000, true)) ??
        Array.from({ length: 20_000 }, (_, i) => ({
          ...sampleRow(i),
          delayed: Number(expectedScore(sampleRow(i)) > 0.5),
        }));
      const names = ['origin', 'destination', 'distance', 'dep_hour', 'day_of_week', 'delayed'];
      const csv = [
        names.join(','),
        ...(train as Row[]).map((r) => names.map((n) => r[n] ?? '').join(',')),
      ].join('\n');
      const csvPath = join(work, 'train.csv');
      await writeFile(csvPath, csv);
      const server = await startServer(
        '/usr/bin/python3',
        [join(root, 'scripts/bench-serve-fastapi.py'), '18910', fastapiWorkers],
        { BENCH_TRAIN_CSV: csvPath, OMP_NUM_THREADS: '1' },
        'http://127.0.0.1:18910/health',
      );
      try {
        await measure(
          `FastAPI + uvicorn (${fastapiWorkers} workers) + scikit-learn`,
          'http://127.0.0.1:18910/predict',
          server,
        );
      } finally {
        await server.stop();
      }
    }

    console.log(
      `\nwrk -t2 -c${connections} -d${duration}s, on ${(await import('node:os')).availableParallelism()} cores shared with the load generator (and any other work on the machine)`,
    );
    console.log(
      '| server | 1 row: req/s | p50 | p99 | CPU ms/req | 100 rows: req/s | rows/s | p50 | p99 | CPU ms/req | non-2xx |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of results) {
      console.log(
        `| ${r.name} | ${Math.round(r.one.rps)} | ${r.one.p50} | ${r.one.p99} | ${r.one.cpuMs.toFixed(3)} | ${Math.round(r.hundred.rps)} | ${Math.round(r.hundred.rps * 100)} | ${r.hundred.p50} | ${r.hundred.p99} | ${r.hundred.cpuMs.toFixed(3)} | ${r.one.non2xx + r.hundred.non2xx} |`,
      );
    }
    const roundOf = (name: string) => name.match(/\(round (\d+)\)$/)?.[1];
    const constantOf = (name: string) =>
      results.find((r) => r.name.startsWith('constant') && roundOf(r.name) === roundOf(name));
    const fastapi = results.find((r) => r.name.startsWith('FastAPI'));
    for (const r of results.filter((x) => x.name.startsWith('mlship'))) {
      const constant = constantOf(r.name);
      const parts = [
        constant
          ? `1-row = ${((100 * r.one.rps) / constant.one.rps).toFixed(0)}% of the constant route (goal >= 70%)`
          : '',
        fastapi ? `${(r.one.rps / fastapi.one.rps).toFixed(1)}x FastAPI (goal >= 10x)` : '',
        `100-row rows/s = ${((100 * r.hundred.rps * 100) / ortRowsPerSecond).toFixed(0)}% of onnxruntime in-process (goal >= 80%)`,
      ];
      console.log(`${r.name}: ${parts.filter(Boolean).join('; ')}`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
