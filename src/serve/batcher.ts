import { type ColumnBatch, concatBatches, type ModelContract } from './contract.ts';
import { OverloadedError, TooLargeError } from './errors.ts';
import type { Runner } from './runner.ts';
import type { BatchOutputs } from './session.ts';

/**
 * Dynamic batching: requests that arrive while the runners are busy (or within `maxDelayMs` of
 * each other) are coalesced into one model run of at most `maxBatchRows` rows. A request is never
 * split. The queue is bounded in rows; beyond it a request is refused at once (503 upstream) rather
 * than left to time out, so overload sheds load instead of growing memory and latency.
 */
export interface BatcherOptions {
  /** Most rows in one model run (a larger single request runs alone). */
  maxBatchRows: number;
  /** Most rows waiting for a runner; more are refused with OverloadedError. */
  maxQueueRows: number;
  /** How long the first queued request may wait for company when a runner is idle (0: one event-loop turn). */
  maxDelayMs: number;
  /** Most rows one request may carry. */
  maxRequestRows: number;
}

export interface BatchObserver {
  onBatch(rows: number, seconds: number): void;
  onQueueDepth(rows: number): void;
}

/** The outputs of one request: a view into its batch's outputs. */
export interface RequestOutputs {
  batch: BatchOutputs;
  offset: number;
  rows: number;
}

interface Queued {
  batch: ColumnBatch;
  resolve(outputs: RequestOutputs): void;
  reject(error: Error): void;
}

export class DynamicBatcher {
  private queue: Queued[] = [];
  private queuedRows = 0;
  private inFlight = 0;
  private timer: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly runner: Runner,
    private readonly contract: ModelContract,
    private readonly options: BatcherOptions,
    private readonly observer: BatchObserver,
  ) {}

  get queueRows(): number {
    return this.queuedRows;
  }

  submit(batch: ColumnBatch): Promise<RequestOutputs> {
    if (batch.rows > this.options.maxRequestRows) {
      return Promise.reject(
        new TooLargeError(
          `a request may carry at most ${this.options.maxRequestRows} rows, got ${batch.rows}`,
        ),
      );
    }
    if (this.queuedRows + batch.rows > this.options.maxQueueRows && this.queue.length > 0) {
      return Promise.reject(
        new OverloadedError(`the inference queue is full (${this.queuedRows} rows waiting)`),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      this.queuedRows += batch.rows;
      this.observer.onQueueDepth(this.queuedRows);
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or running (for draining on shutdown). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.timer || this.inFlight >= this.runner.capacity || this.queue.length === 0) return;
    const flush = () => {
      this.timer = undefined;
      this.dispatch();
    };
    this.timer =
      this.options.maxDelayMs > 0 ? setTimeout(flush, this.options.maxDelayMs) : setImmediate(flush);
  }

  private dispatch(): void {
    while (this.inFlight < this.runner.capacity && this.queue.length > 0) {
      const taken: Queued[] = [];
      let rows = 0;
      while (this.queue.length > 0) {
        const next = this.queue[0];
        if (taken.length > 0 && rows + next.batch.rows > this.options.maxBatchRows) break;
        taken.push(this.queue.shift()!);
        rows += next.batch.rows;
      }
      this.queuedRows -= rows;
      this.observer.onQueueDepth(this.queuedRows);
      this.inFlight++;
      this.runBatch(taken);
    }
  }

  private async runBatch(taken: Queued[]): Promise<void> {
    try {
      const batch = concatBatches(
        this.contract,
        taken.map((q) => q.batch),
      );
      const outputs = await this.runner.run(batch);
      this.observer.onBatch(batch.rows, outputs.seconds);
      let offset = 0;
      for (const q of taken) {
        q.resolve({ batch: outputs, offset, rows: q.batch.rows });
        offset += q.batch.rows;
      }
    } catch (error) {
      for (const q of taken) q.reject(error as Error);
    } finally {
      this.inFlight--;
      if (this.queue.length > 0) this.dispatch();
      else if (this.inFlight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }
}
