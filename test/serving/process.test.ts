import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servingAllocatorEnv } from '../../src/serve/allocator.ts';
import { openStore } from '../../src/store/open-store.ts';
import { sampleRow, writeFixtureEnv } from './fixture-model.ts';
import { tempDir } from './helpers.ts';
import { buildServiceApp, imageCommands } from './image.ts';

/**
 * The service as the image runs it: compiled by the Dockerfile's tsc command into an /app-like
 * directory (dist/, package.json, node_modules) and started with the Dockerfile's CMD, as a real
 * process, with real signals.
 */
const run = promisify(execFile);
let appDir: string;
let work: string;
let cleanup: () => Promise<void>;
let command: string[];
let healthcheck: string[];

beforeAll(async () => {
  ({ dir: work, cleanup } = await tempDir());
  appDir = join(work, 'app');
  ({ command, healthcheck } = await imageCommands());
  await buildServiceApp(appDir);
}, 120_000);
afterAll(() => cleanup());

interface Started {
  child: ChildProcess;
  url: Promise<string>;
  logs: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Started {
  const [bin, ...args] = command;
  const child = spawn(bin === 'node' ? process.execPath : bin, args, {
    cwd: appDir,
    env: {
      PATH: process.env.PATH,
      // The image's ENV: its allocator (src/serve/allocator.ts keeps it equal to the Dockerfile's).
      ...servingAllocatorEnv({}),
      MLSHIP_HOST: '127.0.0.1',
      MLSHIP_PORT: '0',
      MLSHIP_WORKERS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let resolveUrl: (url: string) => void;
  const url = new Promise<string>((r) => {
    resolveUrl = r;
  });
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.msg === 'serving') resolveUrl(entry.url as string);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, url, logs, exited };
}

interface Reply {
  status: number;
  body: string;
  retryAfter?: string;
}

function post(url: string, path: string, body: string, agent: Agent, id: string): Promise<Reply> {
  return new Promise((resolvePost, reject) => {
    const req = request(
      `${url}${path}`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-request-id': id } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolvePost({
            status: res.statusCode!,
            body: Buffer.concat(chunks).toString('utf8'),
            retryAfter: res.headers['retry-after'] as string | undefined,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the service process (the image start command)', () => {
  it('serves, passes its own health check, and drains on SIGTERM under load without losing an accepted request', async () => {
    const env = await writeFixtureEnv(join(work, 'ok'));
    const server = start({
      MLSHIP_MANIFEST: env.manifestPath,
      MLSHIP_REMOTE: env.remote,
      MLSHIP_CAPTURE_SAMPLE: '1',
      MLSHIP_CAPTURE_FLUSH_MS: '600000',
      MLSHIP_POD: 'drain-test',
      // Debug logs every request on arrival, so the test knows which requests were accepted.
      MLSHIP_LOG_LEVEL: 'debug',
    });
    const url = await server.url;
    const port = new URL(url).port;
    const health = await run(
      healthcheck[0] === 'node' ? process.execPath : healthcheck[0],
      healthcheck.slice(1),
      {
        env: { MLSHIP_PORT: port },
      },
    ).then(
      () => 0,
      (error: { code: number }) => error.code,
    );
    expect(health).toBe(0);

    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    const answered = new Map<string, Reply>();
    const failed = new Set<string>();
    let sent = 0;
    let signalled = false;
    const loop = async (client: number) => {
      // Each client keeps one request in flight until the server stops answering (bounded count).
      for (let n = 0; n < 400; n++) {
        const id = `c${client}-${n}`;
        const rows = [sampleRow(client * 1000 + n), sampleRow(client * 1000 + n + 1)];
        sent++;
        if (sent === 300 && !signalled) {
          signalled = true;
          server.child.kill('SIGTERM');
        }
        try {
          const reply = await post(url, '/predict', JSON.stringify({ instances: rows }), agent, id);
          answered.set(id, reply);
          if (reply.status !== 200) return;
        } catch {
          failed.add(id);
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, (_, c) => loop(c)));
    agent.destroy();
    if (!signalled) server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    // Every request the server logged as received got a whole answer: 200 with its predictions,
    // or the 503 a closing server gives a request on a kept-alive connection.
    const received = server.logs
      .filter((l) => l.msg === 'incoming request' && l.url === '/predict')
      .map((l) => l.reqId as string);
    expect(received.length).toBeGreaterThan(0);
    for (const id of received) {
      const reply = answered.get(id);
      expect(reply, `request ${id} was received but got no answer`).toBeDefined();
      expect([200, 503]).toContain(reply!.status);
      if (reply!.status === 200) expect(JSON.parse(reply!.body).predictions).toHaveLength(2);
    }
    const ok = [...answered.values()].filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(1);
    expect([...answered.values()].every((r) => r.status === 200 || r.status === 503)).toBe(true);
    expect(server.logs.some((l) => l.msg === 'drained; exiting')).toBe(true);

    // The capture buffer was flushed on the way out: every answered row is in the store.
    const store = openStore(env.remote);
    let captured = 0;
    for (const file of await store.list('capture/flight-delay/staging/')) {
      captured += gunzipSync(await store.get(file.key))
        .toString('utf8')
        .trim()
        .split('\n').length;
    }
    expect(captured).toBe(ok * 2);
  }, 60_000);

  it('stays live but not ready, and logs why, when the artifact does not match its sha256', async () => {
    const env = await writeFixtureEnv(join(work, 'bad'), { corrupt: true });
    const server = start({ MLSHIP_MANIFEST: env.manifestPath, MLSHIP_REMOTE: env.remote });
    try {
      const url = await server.url;
      expect((await fetch(`${url}/v2/health/live`)).status).toBe(200);
      const ready = await fetch(`${url}/v2/health/ready`);
      expect(ready.status).toBe(503);
      expect((await ready.json()).error).toMatch(/sha256/);
      const why = server.logs.find((l) => l.level === 50);
      expect(String(why?.msg)).toMatch(/^not ready: .* has sha256 [0-9a-f]{64} but the manifest pins/);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  }, 60_000);
});
