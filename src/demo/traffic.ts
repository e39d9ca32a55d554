import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import type { FeatureSpec } from '../config/spec.ts';
import type { ColumnarDataset } from '../dataset/columnar.ts';
import { servingAllocatorEnv } from '../serve/allocator.ts';

/**
 * The demo's production: the real inference service started as its container would start it
 * (the same entry point and environment), and traffic replayed into it over HTTP.
 */
export interface RunningService {
  url: string;
  process: ChildProcess;
  /** SIGTERM, as Kubernetes sends it: drain, flush capture, exit. */
  stop(): Promise<number | null>;
}

export async function startService(options: {
  repoRoot: string;
  manifestPath: string;
  remote: string;
  pod: string;
  captureFlushMs: number;
}): Promise<RunningService> {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', tsx, join(options.repoRoot, 'serving', 'main.ts')], {
    env: {
      ...process.env,
      ...servingAllocatorEnv(),
      MLSHIP_MANIFEST: options.manifestPath,
      MLSHIP_REMOTE: options.remote,
      MLSHIP_HOST: '127.0.0.1',
      MLSHIP_PORT: String(port),
      MLSHIP_POD: options.pod,
      // Capture every row the demo replays, so drift-check sees the whole window.
      MLSHIP_CAPTURE_SAMPLE: '1',
      MLSHIP_CAPTURE_FLUSH_MS: String(options.captureFlushMs),
      MLSHIP_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));

  child.stdout?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitReady(url),
    exited.then((code) => {
      throw new Error(`the service exited (${code}) before it was ready: ${stderr.join('').slice(-2000)}`);
    }),
  ]);
  return {
    url,
    process: child,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A port the kernel just handed out and released: the service binds it right after. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/v2/health/ready`).catch(() => null);
    if (response?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const body = await fetch(`${url}/v2/health/ready`).then((r) => r.text(), String);
  throw new Error(`the service did not become ready: ${body}`);
}

export interface ReplayResult {
  rows: number;
  requests: number;
  seconds: number;
  errors: number;
}

/**
 * Sends rows of a data set as `POST /predict` requests of `batch` rows, `concurrency` at a time,
 * in time order. Only the features are sent: the service never sees the outcome.
 */
export async function replay(
  url: string,
  dataset: ColumnarDataset,
  features: FeatureSpec[],
  options: { rows: number[]; batch: number; concurrency: number },
): Promise<ReplayResult> {
  const started = performance.now();
  const batches: number[][] = [];
  for (let i = 0; i < options.rows.length; i += options.batch)
    batches.push(options.rows.slice(i, i + options.batch));
  let next = 0;
  let errors = 0;
  const worker = async () => {
    while (next < batches.length) {
      const rows = batches[next++];
      const instances = rows.map((row) => instance(dataset, features, row));
      const response = await fetch(`${url}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances }),
      });
      if (!response.ok) errors++;
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return {
    rows: options.rows.length,
    requests: batches.length,
    seconds: (performance.now() - started) / 1000,
    errors,
  };
}

function instance(
  dataset: ColumnarDataset,
  features: FeatureSpec[],
  row: number,
): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const feature of features) {
    const column = dataset.columns[feature.name];
    if (column.kind === 'categorical') {
      const code = column.codes[row];
      out[feature.name] = code < 0 ? null : column.dictionary[code];
    } else {
      const value = column.values[row];
      out[feature.name] = Number.isNaN(value) ? null : value;
    }
  }
  return out;
}

/** Every k-th row index, so a sample of a month still spans the whole month. */
export function evenlySpacedRows(total: number, wanted: number): number[] {
  if (wanted >= total) return Array.from({ length: total }, (_, i) => i);
  const step = total / wanted;
  return Array.from({ length: wanted }, (_, i) => Math.floor(i * step));
}
