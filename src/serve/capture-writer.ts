import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { type CaptureRecord, captureKey } from '../capture/format.ts';
import type { ObjectStore } from '../store/store.ts';

const gzip = promisify(gzipCallback);

/**
 * Writes a sampled share of served rows to the store as gzipped JSON lines, in the capture layout.
 * Requests only append to an in-memory buffer (never await the store); files are written in the
 * background when the buffer holds `maxRecordsPerFile` rows or every `flushIntervalMs`. Memory is
 * bounded by `maxBufferedRecords`: beyond it rows are dropped and counted, never queued, so a slow
 * or failing store costs captured rows, not requests.
 */
export interface CaptureWriterOptions {
  store: ObjectStore;
  model: string;
  version: number;
  environment: string;
  /** Unique per process, so two writers never pick the same key. */
  pod: string;
  maxRecordsPerFile: number;
  maxBufferedRecords: number;
  flushIntervalMs: number;
  onRecords(outcome: 'written' | 'dropped' | 'failed', count: number): void;
  onError(error: Error): void;
}

export class CaptureWriter {
  private buffer: CaptureRecord[] = [];
  private writing = 0;
  private seq = 0;
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: CaptureWriterOptions) {
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs);
    this.timer.unref();
  }

  /** Buffers one row; returns false when it was dropped for lack of room. */
  add(record: CaptureRecord): boolean {
    if (this.buffer.length + this.writing >= this.options.maxBufferedRecords) {
      this.options.onRecords('dropped', 1);
      return false;
    }
    this.buffer.push(record);
    if (this.buffer.length >= this.options.maxRecordsPerFile) this.flush();
    return true;
  }

  /** Starts writing what is buffered; resolves when every write started so far has finished. */
  flush(): Promise<void> {
    if (this.buffer.length > 0) {
      const records = this.buffer;
      this.buffer = [];
      this.writing += records.length;
      const key = captureKey(
        this.options.model,
        this.options.environment,
        new Date(records[0].ts),
        this.options.pod,
        this.seq++,
      );
      // Writes are chained so files appear in sequence order and at most one is in flight.
      this.flushing = this.flushing.then(() => this.write(key, records));
    }
    return this.flushing;
  }

  private async write(key: string, records: CaptureRecord[]): Promise<void> {
    try {
      let text = '';
      for (const record of records) text += `${JSON.stringify(record)}\n`;
      await this.options.store.put(key, await gzip(text));
      this.options.onRecords('written', records.length);
    } catch (error) {
      this.options.onRecords('failed', records.length);
      this.options.onError(error as Error);
    } finally {
      this.writing -= records.length;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
