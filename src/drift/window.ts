import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import pLimit from 'p-limit';
import type { CaptureRecord } from '../capture/format.ts';
import type { FeatureSpec } from '../config/spec.ts';
import type { CategoricalColumn, Column, ColumnarDataset, NumericColumn } from '../dataset/columnar.ts';
import { MISSING_CODE } from '../dataset/columnar.ts';
import type { ObjectStore } from '../store/store.ts';

const gunzip = promisify(gunzipCallback);

/**
 * Reads a time window of capture logs back into typed columns: the rows the service answered in
 * [from, to), for one model and environment, from every pod. Files are listed per UTC day and
 * picked by the hour folder in their key; a file is named after the hour of its first row, so
 * files started up to `lookbackHours` before `from` are read too, and every row is filtered by
 * its own timestamp.
 */
export interface CaptureWindowOptions {
  store: ObjectStore;
  model: string;
  environment: string;
  from: Date;
  to: Date;
  features: FeatureSpec[];
  /** Hours before `from` whose files may still hold rows of the window (writers rotate hourly or faster). */
  lookbackHours?: number;
  /** Files read at once. */
  concurrency?: number;
  onProgress?: (message: string) => void;
}

export interface CaptureWindow {
  dataset: ColumnarDataset;
  scores: Float64Array;
  /** Model version that answered each row (a window can span a rollout). */
  versions: Int32Array;
  files: string[];
  bytes: number;
  /** Rows whose timestamps fell outside the window and were skipped. */
  skipped: number;
}

const HOUR = 3_600_000;

export async function readCaptureWindow(options: CaptureWindowOptions): Promise<CaptureWindow> {
  const { store, model, environment, from, to } = options;
  if (!(from.getTime() < to.getTime()))
    throw new Error(`the window is empty: from ${from.toISOString()} to ${to.toISOString()}`);
  const earliest = from.getTime() - (options.lookbackHours ?? 1) * HOUR;
  const firstHour = Math.floor(earliest / HOUR) * HOUR;
  const prefix = `capture/${model}/${environment}/`;
  const keys: Array<{ key: string; size: number }> = [];
  for (let day = Math.floor(firstHour / (24 * HOUR)) * 24 * HOUR; day < to.getTime(); day += 24 * HOUR) {
    const d = new Date(day);
    const dayPrefix = `${prefix}${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/`;
    for (const object of await store.list(dayPrefix)) {
      const hour = hourOfKey(object.key, prefix);
      if (hour !== undefined && hour >= firstHour && hour < to.getTime()) keys.push(object);
    }
  }
  options.onProgress?.(`reading ${keys.length} capture file(s) from ${store.url}`);
  const builder = new WindowBuilder(options.features);
  const limit = pLimit(options.concurrency ?? 8);
  const lo = from.toISOString();
  const hi = to.toISOString();
  // Decompress in parallel (zlib runs on the thread pool) but parse in key order, so rows keep
  // a deterministic order whatever finishes first.
  const texts = keys.map(({ key }) =>
    limit(async () => (await gunzip(await store.get(key))).toString('utf8')),
  );
  let bytes = 0;
  for (let f = 0; f < keys.length; f++) {
    const text = await texts[f];
    bytes += keys[f].size;
    builder.addLines(text, lo, hi, keys[f].key);
  }
  return { ...builder.finish(), files: keys.map((k) => k.key), bytes };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** UTC hour (ms) a capture key is filed under, from its yyyy/mm/dd/hh folders. */
function hourOfKey(key: string, prefix: string): number | undefined {
  const parts = key.slice(prefix.length).split('/');
  if (parts.length !== 5) return undefined;
  const [y, m, d, h] = parts.map(Number);
  if ([y, m, d, h].some((x) => !Number.isInteger(x))) return undefined;
  return Date.UTC(y, m - 1, d, h);
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A record's time as `toISOString()` spells it, or '' (outside every window) when unreadable. */
function isoOrEmpty(ts: unknown): string {
  const time = typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
  return Number.isNaN(time) ? '' : new Date(time).toISOString();
}

/** Grows typed columns row by row, dictionary-encoding categoricals. */
class WindowBuilder {
  private capacity = 1024;
  private rows = 0;
  private skipped = 0;
  private readonly numeric: Array<{ name: string; values: Float64Array }> = [];
  private readonly categorical: Array<{
    name: string;
    codes: Int32Array;
    index: Map<string, number>;
    dictionary: string[];
  }> = [];
  private scores = new Float64Array(this.capacity);
  private versions = new Int32Array(this.capacity);

  constructor(private readonly features: FeatureSpec[]) {
    for (const f of features) {
      if (f.kind === 'numeric') this.numeric.push({ name: f.name, values: new Float64Array(this.capacity) });
      else
        this.categorical.push({
          name: f.name,
          codes: new Int32Array(this.capacity),
          index: new Map(),
          dictionary: [],
        });
    }
  }

  /** `lo`/`hi` are ISO-8601 UTC strings: in that fixed format, string order is time order. */
  addLines(text: string, lo: string, hi: string, file: string): void {
    let start = 0;
    let line = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      line++;
      if (end > start) this.addRecord(text.slice(start, end), lo, hi, file, line);
      start = end + 1;
    }
  }

  private addRecord(json: string, lo: string, hi: string, file: string, line: number): void {
    let record: CaptureRecord;
    try {
      record = JSON.parse(json) as CaptureRecord;
    } catch (error) {
      throw new Error(`${file}:${line}: not a JSON capture record (${(error as Error).message})`);
    }
    // Comparing the strings avoids a Date.parse per row; other spellings of a time are normalised first.
    const ts = typeof record.ts === 'string' && ISO_UTC.test(record.ts) ? record.ts : isoOrEmpty(record.ts);
    if (!(ts >= lo && ts < hi)) {
      this.skipped++;
      return;
    }
    if (!record.inputs || !record.outputs)
      throw new Error(`${file}:${line}: capture record without inputs/outputs`);
    if (this.rows === this.capacity) this.grow();
    const r = this.rows++;
    for (const column of this.numeric) {
      const value = record.inputs[column.name];
      column.values[r] =
        typeof value === 'number' ? value : value == null || value === '' ? Number.NaN : Number(value);
    }
    for (const column of this.categorical) {
      const value = record.inputs[column.name];
      if (value == null || value === '') {
        column.codes[r] = MISSING_CODE;
        continue;
      }
      const key = String(value);
      let code = column.index.get(key);
      if (code === undefined) {
        code = column.dictionary.length;
        column.index.set(key, code);
        column.dictionary.push(key);
      }
      column.codes[r] = code;
    }
    this.scores[r] = typeof record.outputs.score === 'number' ? record.outputs.score : Number.NaN;
    this.versions[r] = record.version;
  }

  private grow(): void {
    this.capacity *= 2;
    const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(this.capacity);
      b.set(a);
      return b;
    };
    for (const c of this.numeric) c.values = grow(c.values, (n) => new Float64Array(n));
    for (const c of this.categorical) c.codes = grow(c.codes, (n) => new Int32Array(n));
    this.scores = grow(this.scores, (n) => new Float64Array(n));
    this.versions = grow(this.versions, (n) => new Int32Array(n));
  }

  finish(): Omit<CaptureWindow, 'files' | 'bytes'> {
    const n = this.rows;
    const columns: Record<string, Column> = {};
    for (const f of this.features) {
      const numeric = this.numeric.find((c) => c.name === f.name);
      if (numeric)
        columns[f.name] = { kind: 'numeric', values: numeric.values.slice(0, n) } satisfies NumericColumn;
      const categorical = this.categorical.find((c) => c.name === f.name);
      if (categorical) {
        columns[f.name] = {
          kind: 'categorical',
          codes: categorical.codes.slice(0, n),
          dictionary: categorical.dictionary,
        } satisfies CategoricalColumn;
      }
    }
    return {
      dataset: { numRows: n, columns },
      scores: this.scores.slice(0, n),
      versions: this.versions.slice(0, n),
      skipped: this.skipped,
    };
  }
}
