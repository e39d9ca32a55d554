import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { CaptureRecord } from '../capture/format.ts';
import type { EnvManifest } from '../gitops/manifest.ts';
import { openStore } from '../store/open-store.ts';
import type { ObjectStore } from '../store/store.ts';
import { fetchVerified, parseProfile, readManifest } from './artifact.ts';
import { type BatcherOptions, DynamicBatcher, type RequestOutputs } from './batcher.ts';
import { CaptureWriter } from './capture-writer.ts';
import type { ColumnBatch, ModelContract } from './contract.ts';
import { DriftTracker } from './drift.ts';
import { NotReadyError } from './errors.ts';
import { type Runner, startRunner } from './runner.ts';

/**
 * The inference service without its HTTP door: reads the environment manifest, fetches and
 * verifies the model and its profile, loads the model on the inference workers, warms it, and
 * only then is ready. Serves column batches through the dynamic batcher, feeds the live drift
 * gauges and the capture writer, and drains on close.
 */
export interface ServiceOptions {
  /** Path of the environment manifest (`gitops/overlays/<env>/model.yaml`, or its ConfigMap mount). */
  manifestPath: string;
  /** Store URL (`s3://bucket/prefix` or a directory): manifest URIs relative to it, and capture. */
  remote?: string;
  /** Inference worker threads; 0 runs onnxruntime on the main thread. */
  workers: number;
  batcher: BatcherOptions;
  capture: {
    /** Share of rows captured, 0..1 (0 disables capture). */
    sampleRate: number;
    maxRecordsPerFile: number;
    maxBufferedRecords: number;
    flushIntervalMs: number;
  };
  /** Rows in the sliding window of the live drift gauges. */
  driftWindow: number;
  /** Capture file prefix; defaults to the host name plus a per-process suffix. */
  pod?: string;
  log: ServiceLog;
  observer?: ServiceObserver;
}

export interface ServiceLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** Hooks the HTTP door turns into metrics; the core knows no metrics library. */
export interface ServiceObserver {
  onBatch?(rows: number, seconds: number): void;
  onQueueDepth?(rows: number): void;
  onPredicted?(rows: number, scores: Float32Array): void;
  onCapture?(outcome: 'written' | 'dropped' | 'failed', count: number): void;
  onState?(state: ServiceState): void;
}

export type ServiceState = 'starting' | 'ready' | 'failed' | 'draining' | 'stopped';

export interface ServedModel {
  name: string;
  version: number;
  sha256: string;
  environment: string;
  contract: ModelContract;
}

export interface Prediction {
  rows: number;
  /** Classification: label per row. */
  labels?: Array<number | string>;
  /** Classification: probabilities per row, in class order. */
  probabilities?: number[][];
  /** Probability of the positive class (binary), of the predicted class (multiclass), or the value. */
  scores: Float32Array;
}

export const DEFAULT_SERVICE_OPTIONS = {
  workers: 1,
  batcher: { maxBatchRows: 512, maxQueueRows: 16_384, maxDelayMs: 0, maxRequestRows: 10_000 },
  capture: {
    sampleRate: 0.1,
    maxRecordsPerFile: 10_000,
    maxBufferedRecords: 50_000,
    flushIntervalMs: 30_000,
  },
  driftWindow: 10_000,
} satisfies Partial<ServiceOptions>;

export class InferenceService {
  private stateValue: ServiceState = 'starting';
  private reasonValue: string | undefined;
  private runner: Runner | undefined;
  private batcher: DynamicBatcher | undefined;
  private drift: DriftTracker | undefined;
  private capture: CaptureWriter | undefined;
  private modelValue: ServedModel | undefined;
  private inFlight = 0;

  constructor(private readonly options: ServiceOptions) {}

  get state(): ServiceState {
    return this.stateValue;
  }

  /** Why the service is not ready, when it failed to start. */
  get reason(): string | undefined {
    return this.reasonValue;
  }

  get model(): ServedModel | undefined {
    return this.modelValue;
  }

  get queueRows(): number {
    return this.batcher?.queueRows ?? 0;
  }

  featurePsi(): Array<{ feature: string; psi: number; rows: number }> {
    return this.drift?.featurePsi() ?? [];
  }

  scorePsi(): number | undefined {
    return this.drift?.scorePsi();
  }

  /** Loads everything; never throws: a failure leaves the service `failed` with the reason logged. */
  async start(): Promise<void> {
    const { log } = this.options;
    try {
      const manifest = await readManifest(this.options.manifestPath);
      log.info(
        { model: manifest.model, version: manifest.version, sha256: manifest.artifact.sha256 },
        'loading the model the environment manifest pins',
      );
      const remoteUrl = this.options.remote ?? remoteOfArtifact(manifest.artifact.uri);
      const remote = remoteUrl ? openStore(remoteUrl) : undefined;
      const profileBytes = await fetchVerified(manifest.profile.uri, manifest.profile.sha256, remote);
      const profile = parseProfile(profileBytes, manifest.profile.uri);
      const fetchModel = () => fetchVerified(manifest.artifact.uri, manifest.artifact.sha256, remote);
      const runner = await startRunner(fetchModel, this.options.workers, log);
      this.runner = runner;
      const contract = runner.contract;
      this.drift = new DriftTracker(contract, profile, this.options.driftWindow);
      this.batcher = new DynamicBatcher(runner, contract, this.options.batcher, {
        onBatch: (rows, seconds) => this.options.observer?.onBatch?.(rows, seconds),
        onQueueDepth: (rows) => this.options.observer?.onQueueDepth?.(rows),
      });
      this.capture = this.startCapture(manifest, remote);
      this.modelValue = {
        name: manifest.model,
        version: manifest.version,
        sha256: manifest.artifact.sha256,
        environment: manifest.environment,
        contract,
      };
      await this.warmUp(contract);
      if (this.stateValue !== 'starting') return;
      this.setState('ready');
      log.info(
        { model: manifest.model, version: manifest.version, workers: this.options.workers },
        'model verified, loaded and warmed: ready',
      );
    } catch (error) {
      this.reasonValue = (error as Error).message;
      this.setState('failed');
      log.error({ err: error }, `not ready: ${this.reasonValue}`);
      await this.runner?.close().catch(() => {});
    }
  }

  /** Runs each worker once on a small and a full-size batch, so the first requests pay no setup. */
  private async warmUp(contract: ModelContract): Promise<void> {
    const runner = this.runner!;
    for (const rows of [1, this.options.batcher.maxBatchRows]) {
      const batch: ColumnBatch = {
        rows,
        columns: contract.inputs.map((input) =>
          input.type === 'string'
            ? new Array<string>(rows).fill('')
            : new Float32Array(rows).fill(Number.NaN),
        ),
      };
      await Promise.all(Array.from({ length: runner.capacity }, () => runner.run(batch)));
    }
  }

  private startCapture(manifest: EnvManifest, remote: ObjectStore | undefined): CaptureWriter | undefined {
    const { capture, log } = this.options;
    if (capture.sampleRate <= 0) return undefined;
    if (!remote) {
      log.warn({}, 'capture is off: no remote store was given');
      return undefined;
    }
    const pod = this.options.pod ?? `${process.env.HOSTNAME ?? hostname()}-${randomBytes(3).toString('hex')}`;
    return new CaptureWriter({
      store: remote,
      model: manifest.model,
      version: manifest.version,
      environment: manifest.environment,
      pod,
      maxRecordsPerFile: capture.maxRecordsPerFile,
      maxBufferedRecords: capture.maxBufferedRecords,
      flushIntervalMs: capture.flushIntervalMs,
      onRecords: (outcome, count) => this.options.observer?.onCapture?.(outcome, count),
      onError: (error) => log.warn({ err: error }, 'capture write failed; those rows are lost'),
    });
  }

  async predict(batch: ColumnBatch, requestId: string): Promise<Prediction> {
    if (this.stateValue !== 'ready' || !this.batcher || !this.modelValue) {
      throw new NotReadyError(
        this.stateValue === 'failed'
          ? `the model is not loaded: ${this.reasonValue}`
          : `the service is ${this.stateValue}`,
      );
    }
    this.inFlight++;
    try {
      const outputs = await this.batcher.submit(batch);
      const prediction = toPrediction(outputs, this.modelValue.contract);
      this.afterPrediction(batch, prediction, requestId);
      return prediction;
    } finally {
      this.inFlight--;
    }
  }

  /** Metrics, drift and capture: bookkeeping that must never fail the request it follows. */
  private afterPrediction(batch: ColumnBatch, prediction: Prediction, requestId: string): void {
    try {
      this.options.observer?.onPredicted?.(batch.rows, prediction.scores);
      this.drift?.observe(batch, prediction.scores, 0);
      const rate = this.options.capture.sampleRate;
      if (this.capture) {
        const model = this.modelValue!;
        let ts: string | undefined;
        for (let r = 0; r < batch.rows; r++) {
          if (Math.random() >= rate) continue;
          ts ??= new Date().toISOString();
          const inputs: CaptureRecord['inputs'] = {};
          model.contract.inputs.forEach((input, c) => {
            const value = batch.columns[c][r];
            inputs[input.name] = typeof value === 'number' && Number.isNaN(value) ? null : value;
          });
          this.capture.add({
            ts,
            id: requestId,
            model: model.name,
            version: model.version,
            inputs,
            outputs: { score: prediction.scores[r], label: prediction.labels?.[r] ?? prediction.scores[r] },
          });
        }
      }
    } catch (error) {
      this.options.log.warn({ err: error }, 'post-prediction bookkeeping failed');
    }
  }

  /**
   * Stops taking predictions, waits for those in flight, writes the capture buffer, stops the
   * workers. The HTTP door closes its listener first, so nothing new arrives meanwhile.
   */
  async close(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    const wasReady = this.stateValue === 'ready';
    this.setState('draining');
    if (wasReady) await this.batcher?.idle();
    await this.capture?.close();
    await this.runner?.close().catch(() => {});
    this.setState('stopped');
    this.options.log.info({ inFlight: this.inFlight }, 'inference service stopped');
  }

  private setState(state: ServiceState): void {
    this.stateValue = state;
    this.options.observer?.onState?.(state);
  }
}

/**
 * Without an explicit remote, the store the registry uploaded to: the part of the artifact URI
 * before its `models/<model>/<sha256>.onnx` key (so capture goes beside it, as the design lays out).
 */
export function remoteOfArtifact(uri: string): string | undefined {
  const at = uri.lastIndexOf('/models/');
  return at > 0 ? uri.slice(0, at) : undefined;
}

function toPrediction(outputs: RequestOutputs, contract: ModelContract): Prediction {
  const { batch, offset, rows } = outputs;
  const scores = new Float32Array(rows);
  if (contract.task === 'regression') {
    scores.set(batch.values!.subarray(offset, offset + rows));
    return { rows, scores };
  }
  const k = batch.classes;
  const labels = new Array<number | string>(rows);
  const probabilities = new Array<number[]>(rows);
  const allLabels = batch.labels!;
  const allProbabilities = batch.probabilities!;
  for (let r = 0; r < rows; r++) {
    labels[r] = allLabels[offset + r];
    const row = new Array<number>(k);
    let best = 0;
    for (let j = 0; j < k; j++) {
      row[j] = allProbabilities[(offset + r) * k + j];
      if (row[j] > best) best = row[j];
    }
    probabilities[r] = row;
    scores[r] = k === 2 ? row[1] : best;
  }
  return { rows, labels, probabilities, scores };
}
