import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, requestIds } from '../../serving/app.ts';
import { createMetrics } from '../../serving/metrics.ts';
import { createLogger, flushLogs } from '../../serving/server.ts';
import type { InferenceService } from '../../src/serve/service.ts';
import { sampleRow, writeFixtureEnv } from './fixture-model.ts';
import { serviceWith, tempDir } from './helpers.ts';

/**
 * The per-request bookkeeping made cheap for the hot path keeps its promises: request ids unique
 * and echoed (an incoming x-request-id honoured), one access line per request carrying that id,
 * request counts and latency histograms exact, and buffered log lines written out on flush.
 */
let app: FastifyInstance;
let service: InferenceService;
let dir: string;
let cleanup: () => Promise<void>;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const env = await writeFixtureEnv(dir);
  const metrics = createMetrics();
  service = serviceWith(env.manifestPath, env.remote, { workers: 1, observer: metrics.observer });
  await service.start();
  metrics.attach(service);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logLines.push(JSON.parse(line));
      done();
    },
  });
  app = await buildApp({
    service,
    metrics,
    bodyLimit: 256 * 1024,
    maxRequestRows: 1000,
    logger: pino({ level: 'info' }, sink),
  });
});
afterAll(async () => {
  await app?.close();
  await service?.close();
  await cleanup();
});

const predict = (headers: Record<string, string> = {}, instances: unknown[] = [sampleRow(1)]) =>
  app.inject({
    method: 'POST',
    url: '/predict',
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ instances }),
  });

describe('request ids', () => {
  it('are unique within a process and across generators', () => {
    const a = requestIds();
    const b = requestIds();
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) ids.add(a());
    for (let i = 0; i < 10_000; i++) ids.add(b());
    expect(ids.size).toBe(20_000);
  });

  it('are echoed in x-request-id and carried by the access log line; an incoming id is honoured', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, () => predict()));
    const ids = replies.map((reply) => reply.headers['x-request-id'] as string);
    expect(replies.every((reply) => reply.statusCode === 200)).toBe(true);
    expect(new Set(ids).size).toBe(20);
    const given = await predict({ 'x-request-id': 'client-chosen-7' });
    expect(given.headers['x-request-id']).toBe('client-chosen-7');
    const completed = logLines.filter((line) => line.msg === 'request completed');
    for (const id of [...ids, 'client-chosen-7']) {
      const lines = completed.filter((line) => line.reqId === id);
      expect(lines, `access lines for ${id}`).toHaveLength(1);
      expect(lines[0]).toMatchObject({ method: 'POST', url: '/predict', status: 200 });
      expect(typeof lines[0].ms).toBe('number');
    }
  });
});

describe('request metrics', () => {
  it('count every request by method, route and status, with a histogram whose count matches', async () => {
    const metric = async (series: string) => {
      const text = (await app.inject('/metrics')).body;
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : 0;
    };
    const ok = 'mlship_requests_total{method="POST",route="/predict",status="200"}';
    const bad = 'mlship_requests_total{method="POST",route="/predict",status="400"}';
    const okCount = 'mlship_request_duration_seconds_count{method="POST",route="/predict",status="200"}';
    const okInf =
      'mlship_request_duration_seconds_bucket{method="POST",route="/predict",status="200",le="+Inf"}';
    const rows = 'mlship_predicted_rows_total';
    const before = {
      ok: await metric(ok),
      bad: await metric(bad),
      count: await metric(okCount),
      rows: await metric(rows),
      batchRows: await metric('mlship_batch_size_sum'),
      batches: await metric('mlship_batch_size_count'),
      runs: await metric('mlship_inference_duration_seconds_count'),
    };
    for (let i = 0; i < 7; i++) expect((await predict()).statusCode).toBe(200);
    expect((await predict({}, [{ origin: 'LAS' }])).statusCode).toBe(400);
    expect((await predict({}, [{ origin: 'LAS' }])).statusCode).toBe(400);
    expect(await metric(ok)).toBe(before.ok + 7);
    expect(await metric(bad)).toBe(before.bad + 2);
    expect(await metric(okCount)).toBe(before.count + 7);
    expect(await metric(okInf)).toBe(await metric(okCount));
    expect(await metric(rows)).toBe(before.rows + 7);
    // One request at a time: each is its own model run.
    expect(await metric('mlship_batch_size_sum')).toBe(before.batchRows + 7);
    expect(await metric('mlship_batch_size_count')).toBe(before.batches + 7);
    expect(await metric('mlship_inference_duration_seconds_count')).toBe(before.runs + 7);
    expect(await metric('mlship_queue_depth')).toBe(0);
    expect(await metric('mlship_requests_total{method="GET",route="/metrics",status="200"}')).toBeGreaterThan(
      0,
    );
  });
});

describe('the process logger', () => {
  it('buffers lines and writes them all out on flush', async () => {
    const path = join(dir, 'log.jsonl');
    const fd = openSync(path, 'w');
    try {
      const log = createLogger('info', fd);
      for (let i = 0; i < 5; i++) log.info({ i }, 'line');
      await flushLogs(log);
      const lines = readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.i)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      closeSync(fd);
    }
  });

  it('writes chunk after chunk in order when lines arrive faster than one write', async () => {
    const path = join(dir, 'many.jsonl');
    const fd = openSync(path, 'w');
    try {
      const log = createLogger('info', fd);
      for (let i = 0; i < 5000; i++) log.info({ i, padding: 'x'.repeat(i % 50) }, 'line');
      await flushLogs(log);
      const lines = readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    } finally {
      closeSync(fd);
    }
  });

  it('loses no line, and keeps their order, when the process exits right after logging more than a pipe holds', () => {
    const destination = resolve(import.meta.dirname, '../../serving/log-destination.ts');
    const script = [
      "import pino from 'pino';",
      `import { BufferedLogDestination } from ${JSON.stringify(destination)};`,
      "const log = pino({ level: 'info' }, new BufferedLogDestination(1));",
      "for (let i = 0; i < 5000; i++) log.info({ i, padding: 'x'.repeat(100) }, 'line');",
      'process.exit(3);',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: resolve(import.meta.dirname, '../..'),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.status, child.stderr).toBe(3);
    const lines = child.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});
