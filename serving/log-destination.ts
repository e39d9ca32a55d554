import { write, writeSync } from 'node:fs';

/**
 * Where the service's pino writes its JSON lines (stdout): lines are gathered in memory and
 * written in the background in chunks of `chunkChars`, or `maxDelayMs` after the first line
 * waiting, whichever comes first. At one access line per request, a write per line was a system
 * call and a thread-pool round trip per request; pino's own buffered destination (sonic-boom with
 * `minLength`) measures the UTF-8 length of its whole pending buffer again on every line, which
 * cost about as much as formatting the line. Memory is bounded (`maxBufferedChars`): when stdout
 * is not drained, lines beyond it are dropped and a line says how many. Everything pending is
 * written synchronously when the process exits; `flush(cb)` (pino's `logger.flush`) waits for it.
 */
export interface LogDestinationOptions {
  chunkChars: number;
  maxDelayMs: number;
  maxBufferedChars: number;
}

const DEFAULTS: LogDestinationOptions = {
  chunkChars: 16 * 1024,
  maxDelayMs: 100,
  maxBufferedChars: 16 * 1024 * 1024,
};

export class BufferedLogDestination {
  private parts: string[] = [];
  private buffered = 0;
  private dropped = 0;
  private writing = false;
  private timer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];
  private readonly options: LogDestinationOptions;

  constructor(
    private readonly fd: number,
    options: Partial<LogDestinationOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    process.once('exit', () => this.flushSync());
  }

  /** Called by pino with one serialized line (newline included). */
  write(line: string): boolean {
    if (this.buffered + line.length > this.options.maxBufferedChars) {
      this.dropped++;
      return false;
    }
    this.parts.push(line);
    this.buffered += line.length;
    if (this.writing) return true;
    if (this.buffered >= this.options.chunkChars) this.startWrite();
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.writing) this.startWrite();
      }, this.options.maxDelayMs);
      this.timer.unref();
    }
    return true;
  }

  /** Writes what is pending; `done` runs once everything written so far has reached the fd. */
  flush(done: (error?: Error) => void = () => {}): void {
    if (!this.writing && this.parts.length === 0 && this.dropped === 0) {
      done();
      return;
    }
    this.waiters.push(() => done());
    if (!this.writing) this.startWrite();
  }

  /** For process exit: no event loop left, so the pending lines are written synchronously. */
  flushSync(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const bytes = this.take();
    let offset = 0;
    for (let attempt = 0; offset < bytes.length && attempt < 1000; attempt++) {
      try {
        offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
      } catch (error) {
        // A full non-blocking pipe: wait a little for the reader; any other error: give up.
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
  }

  private take(): Buffer {
    let text = this.parts.join('');
    if (this.dropped > 0) {
      text += `${JSON.stringify({ level: 40, time: Date.now(), dropped: this.dropped, msg: 'log lines dropped: stdout was not drained' })}\n`;
      this.dropped = 0;
    }
    this.parts = [];
    this.buffered = 0;
    return Buffer.from(text, 'utf8');
  }

  private startWrite(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.parts.length === 0 && this.dropped === 0) {
      this.wakeWaiters();
      return;
    }
    this.writing = true;
    this.writeFrom(this.take(), 0);
  }

  private writeFrom(bytes: Buffer, offset: number): void {
    write(this.fd, bytes, offset, bytes.length - offset, null, (error, written) => {
      if (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          setTimeout(() => this.writeFrom(bytes, offset), 10).unref();
          return;
        }
        // EPIPE and the like: nobody reads the logs any more; these lines cannot be written.
      } else if (offset + written < bytes.length) {
        this.writeFrom(bytes, offset + written);
        return;
      }
      this.writing = false;
      if (this.buffered >= this.options.chunkChars || (this.waiters.length > 0 && this.parts.length > 0)) {
        this.startWrite();
      } else {
        if (this.parts.length > 0 && !this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            if (!this.writing) this.startWrite();
          }, this.options.maxDelayMs);
          this.timer.unref();
        }
        this.wakeWaiters();
      }
    });
  }

  private wakeWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
