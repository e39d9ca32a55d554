/**
 * Capture logs: sampled served requests, one JSON object per row, gzipped, at
 * `capture/<model>/<env>/<yyyy>/<mm>/<dd>/<hh>/<pod>-<seq>.jsonl.gz` (UTC hour of the first row).
 * The service writes them; drift-check reads a window of them back.
 */
export interface CaptureRecord {
  /** ISO-8601 UTC time the request was answered. */
  ts: string;
  /** Request id (the service's), shared by the rows of one request. */
  id: string;
  model: string;
  version: number;
  /** The raw feature values as served (strings for categoricals, numbers or null for numerics). */
  inputs: Record<string, string | number | null>;
  /** Score (probability of the positive class, or the value) and label the model returned. */
  outputs: { score: number; label: number | string };
}

export function captureKey(model: string, env: string, at: Date, pod: string, seq: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${at.getUTCFullYear()}/${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}/${pad(at.getUTCHours())}`;
  return `capture/${model}/${env}/${day}/${pod}-${String(seq).padStart(6, '0')}.jsonl.gz`;
}
