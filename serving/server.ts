import { availableParallelism } from 'node:os';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { envManifestPath } from '../src/gitops/manifest.ts';
import { DEFAULT_SERVICE_OPTIONS, InferenceService } from '../src/serve/service.ts';
import { buildApp } from './app.ts';
import { BufferedLogDestination } from './log-destination.ts';
import { createMetrics } from './metrics.ts';

/**
 * Starts the inference service: load and verify the model first (the port opens once the model
 * is ready, or once loading failed, to report why on /v2/health/ready), then listen. SIGTERM and
 * SIGINT stop accepting, finish in-flight requests, flush capture, and exit.
 */
export interface ServerConfig {
  manifestPath: string;
  remote?: string;
  host: string;
  port: number;
  workers: number;
  logLevel: string;
  bodyLimit: number;
  maxBatchRows: number;
  maxQueueRows: number;
  maxDelayMs: number;
  maxRequestRows: number;
  captureSampleRate: number;
  captureFlushMs: number;
  driftWindow: number;
  pod?: string;
  /** Longest a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs: number;
}

export const DEFAULT_SERVER_CONFIG = {
  host: '0.0.0.0',
  port: 8080,
  // One inference thread beside the HTTP thread (see serving/README.md for the measurements).
  workers: Math.max(1, Math.min(availableParallelism() - 1, 4)),
  logLevel: 'info',
  bodyLimit: 4 * 1024 * 1024,
  maxBatchRows: DEFAULT_SERVICE_OPTIONS.batcher.maxBatchRows,
  maxQueueRows: DEFAULT_SERVICE_OPTIONS.batcher.maxQueueRows,
  maxDelayMs: DEFAULT_SERVICE_OPTIONS.batcher.maxDelayMs,
  maxRequestRows: DEFAULT_SERVICE_OPTIONS.batcher.maxRequestRows,
  captureSampleRate: DEFAULT_SERVICE_OPTIONS.capture.sampleRate,
  captureFlushMs: DEFAULT_SERVICE_OPTIONS.capture.flushIntervalMs,
  driftWindow: DEFAULT_SERVICE_OPTIONS.driftWindow,
  shutdownTimeoutMs: 25_000,
} satisfies Partial<ServerConfig>;

/** Reads the configuration the container gets (the Rollout's env, the ConfigMap mount). */
export function configFromEnv(env: NodeJS.ProcessEnv): ServerConfig {
  const number = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name}=${raw} is not a non-negative number`);
    return value;
  };
  const manifestPath =
    env.MLSHIP_MANIFEST ??
    (env.MLSHIP_GITOPS && env.MLSHIP_ENV ? envManifestPath(env.MLSHIP_GITOPS, env.MLSHIP_ENV) : undefined);
  if (!manifestPath)
    throw new Error('set MLSHIP_MANIFEST (or MLSHIP_GITOPS and MLSHIP_ENV) to the environment manifest');
  const d = DEFAULT_SERVER_CONFIG;
  return {
    manifestPath,
    remote: env.MLSHIP_REMOTE || undefined,
    host: env.MLSHIP_HOST || d.host,
    port: number('MLSHIP_PORT', d.port),
    workers: number('MLSHIP_WORKERS', d.workers),
    logLevel: env.MLSHIP_LOG_LEVEL || d.logLevel,
    bodyLimit: number('MLSHIP_BODY_LIMIT', d.bodyLimit),
    maxBatchRows: number('MLSHIP_MAX_BATCH_ROWS', d.maxBatchRows),
    maxQueueRows: number('MLSHIP_MAX_QUEUE_ROWS', d.maxQueueRows),
    maxDelayMs: number('MLSHIP_MAX_DELAY_MS', d.maxDelayMs),
    maxRequestRows: number('MLSHIP_MAX_REQUEST_ROWS', d.maxRequestRows),
    captureSampleRate: number('MLSHIP_CAPTURE_SAMPLE', d.captureSampleRate),
    captureFlushMs: number('MLSHIP_CAPTURE_FLUSH_MS', d.captureFlushMs),
    driftWindow: number('MLSHIP_DRIFT_WINDOW', d.driftWindow),
    pod: env.MLSHIP_POD || undefined,
    shutdownTimeoutMs: number('MLSHIP_SHUTDOWN_TIMEOUT_MS', d.shutdownTimeoutMs),
  };
}

export interface RunningServer {
  app: FastifyInstance;
  service: InferenceService;
  /** The bound address, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Graceful stop: stop accepting, drain, flush capture. */
  stop(): Promise<void>;
}

/**
 * The process's logger: JSON lines on stdout, gathered and written in chunks of 16 KiB
 * (see log-destination.ts) rather than one write per line. `flushLogs` writes what is pending;
 * the shutdown path awaits it, and any other exit writes it synchronously.
 */
export function createLogger(level: string, fd = 1): Logger {
  return pino({ level }, new BufferedLogDestination(fd));
}

/** Resolves once every log line written so far has reached the destination. */
export function flushLogs(log: Logger): Promise<void> {
  return new Promise((resolve) => log.flush(() => resolve()));
}

export async function startServer(
  config: ServerConfig,
  log: Logger = createLogger(config.logLevel),
): Promise<RunningServer> {
  const metrics = createMetrics();
  const service = new InferenceService({
    manifestPath: config.manifestPath,
    remote: config.remote,
    workers: config.workers,
    batcher: {
      maxBatchRows: config.maxBatchRows,
      maxQueueRows: config.maxQueueRows,
      maxDelayMs: config.maxDelayMs,
      maxRequestRows: config.maxRequestRows,
    },
    capture: {
      ...DEFAULT_SERVICE_OPTIONS.capture,
      sampleRate: config.captureSampleRate,
      flushIntervalMs: config.captureFlushMs,
    },
    driftWindow: config.driftWindow,
    pod: config.pod,
    log,
    observer: metrics.observer,
  });
  await service.start();
  metrics.attach(service);
  const app = await buildApp({
    service,
    metrics,
    bodyLimit: config.bodyLimit,
    maxRequestRows: config.maxRequestRows,
    logger: log,
  });
  const url = await app.listen({ host: config.host, port: config.port });
  log.info({ url, state: service.state, pid: process.pid }, 'serving');
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // Fastify stops accepting, answers 503 on kept-alive connections, and waits for in-flight
      // requests; only then is the batcher drained and the capture buffer written.
      await app.close();
      await service.close();
    })();
    return stopping;
  };
  return { app, service, url, stop };
}

/** Runs until SIGTERM or SIGINT, then drains and exits 0 (1 if draining failed or timed out). */
export async function runServer(config: ServerConfig): Promise<void> {
  const log = createLogger(config.logLevel);
  let server: RunningServer | undefined;
  let signalled = false;
  const onSignal = (signal: string) => {
    if (signalled) return;
    signalled = true;
    log.info({ signal }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    (server ? server.stop() : Promise.resolve()).then(
      async () => {
        log.info({}, 'drained; exiting');
        await flushLogs(log);
        process.exit(0);
      },
      async (error) => {
        log.error({ err: error }, 'shutdown failed');
        await flushLogs(log);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  // A bug in one request must not take the process (and its in-flight neighbours) down silently.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  server = await startServer(config, log);
  if (signalled) await server.stop();
}
