import { writeSync } from 'node:fs';

/**
 * Where the service's pino writes its JSON lines (stdout): lines are gathered in memory and
 * written in chunks of `chunkChars`, or `maxDelayMs` after the first line waiting, whichever comes
 * first. At one access line per request, a write per line was a system call and a thread-pool round
 * trip per request; pino's own buffered destination (sonic-boom with `minLength`) measures the
 * UTF-8 length of its whole pending buffer again on every line, which cost about as much as
 * formatting the line.
 *
 * Chunks are written synchronously, one system call per chunk (as Node writes process.stdout to a
 * pipe on Linux), so nothing is ever in flight: a process that exits, however it exits, writes
 * what is pending from its 'exit' handler, in order, and no line is lost. A full non-blocking pipe
 * (EAGAIN) keeps the rest for a later try. Memory is bounded (`maxBufferedChars`): when stdout is
 * not drained, lines beyond it are dropped and a line says how many.
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
  /** Bytes a full pipe refused, written before anything newer. */
  private unwritten: Buffer | undefined;
  private timer: NodeJS.Timeout | undefined;
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
    if (this.buffered >= this.options.chunkChars && !this.unwritten) this.writePending();
    else this.schedule(this.options.maxDelayMs);
    return true;
  }

  /** pino's `logger.flush(cb)`: writes what is pending, then calls back (retrying a full pipe). */
  flush(done: (error?: Error) => void = () => {}): void {
    this.writePending();
    if (!this.unwritten && this.parts.length === 0) {
      done();
      return;
    }
    setTimeout(() => this.flush(done), 10).unref();
  }

  /** For process exit: everything pending, synchronously, waiting a little on a full pipe. */
  flushSync(): void {
    for (let attempt = 0; attempt < 1000; attempt++) {
      this.writePending();
      if (!this.unwritten && this.parts.length === 0) return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writePending();
    }, delayMs);
    this.timer.unref();
  }

  private writePending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.unwritten) {
      if (this.parts.length === 0 && this.dropped === 0) return;
      this.unwritten = this.take();
    }
    let bytes: Buffer | undefined = this.unwritten;
    this.unwritten = undefined;
    while (bytes) {
      try {
        const written: number = writeSync(this.fd, bytes);
        bytes = written < bytes.length ? bytes.subarray(written) : undefined;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          // A full non-blocking pipe: these bytes go first on the next try.
          this.unwritten = bytes;
          this.schedule(10);
        }
        // EPIPE and the like: nobody reads the logs any more; these lines cannot be written.
        return;
      }
    }
    if (this.parts.length > 0) this.schedule(this.options.maxDelayMs);
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
}
