import { createHash } from 'node:crypto';
import { UserError } from '../errors.ts';
import type { EvaluationRecord } from '../evaluate/types.ts';
import type { RunRecord } from '../runs/record.ts';
import type { ObjectStore } from '../store/store.ts';

/**
 * Reading what a run left in the store (record, model, profile, evaluation) and naming registered
 * artifacts. Registered models are content addressed: `models/<model>/<sha256>.onnx`, with the
 * profile beside it as `models/<model>/<sha256>.profile.json`.
 */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export const runKey = (runId: string, file: string) => `runs/${runId}/${file}`;
export const modelKey = (model: string, sha256: string) => `models/${model}/${sha256}.onnx`;
export const profileKey = (model: string, modelSha256: string) =>
  `models/${model}/${modelSha256}.profile.json`;

/** A URI for a store key: `s3://bucket/prefix/<key>`, or `file:///abs/dir/<key>` for a local store. */
export function storeUri(store: ObjectStore, key: string): string {
  const base = store.url.replace(/\/+$/, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(base)) return `${base}/${key}`;
  return `file://${base}/${key}`;
}

/**
 * The store key inside an artifact URI. Only the content-addressed tail is used, so a ledger written
 * on one machine (file:///home/ci/remote/...) resolves in the store another machine opened.
 */
export function storeKeyFromUri(uri: string): string {
  const match = /(models\/[^/]+\/[0-9a-f]{64}\.(?:onnx|profile\.json))$/.exec(uri);
  if (!match) {
    throw new UserError(`artifact URI ${uri} does not end in models/<model>/<sha256>.onnx`, {
      fix: 'point the manifest at an artifact that `mlship register` uploaded',
    });
  }
  return match[1];
}

async function getJson<T>(store: ObjectStore, key: string, what: string, fix: string): Promise<T> {
  if (!(await store.exists(key)))
    throw new UserError(`${what} ${key} is not in the store ${store.url}`, { fix });
  const text = new TextDecoder().decode(await store.get(key));
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new UserError(`${key} in ${store.url} is not valid JSON (${(error as Error).message})`, { fix });
  }
}

export async function readRunRecord(store: ObjectStore, runId: string): Promise<RunRecord> {
  const key = runKey(runId, 'run.json');
  const record = await getJson<RunRecord>(
    store,
    key,
    'run record',
    'train first (mlship train), or check the run id and the remote in mlship.yaml',
  );
  if (record.schema !== 1 || record.runId !== runId || !record.signature || !record.model) {
    throw new UserError(`run record ${key} is not a schema 1 record of run ${runId}`, {
      file: key,
      fix: 'retrain with this version of mlship',
    });
  }
  return record;
}

/** Reads a stored object and checks it against the sha256 it is supposed to have. */
export async function getVerified(
  store: ObjectStore,
  key: string,
  sha256: string | undefined,
): Promise<Uint8Array> {
  if (!(await store.exists(key))) {
    throw new UserError(`${key} is not in the store ${store.url}`, {
      fix: 'check the run id and the remote',
    });
  }
  const bytes = await store.get(key);
  const actual = sha256Hex(bytes);
  if (sha256 && actual !== sha256) {
    throw new Error(
      `${key} in ${store.url} has sha256 ${actual}, expected ${sha256}: the object is corrupt or was replaced`,
    );
  }
  return bytes;
}

export async function readEvaluation(store: ObjectStore, runId: string): Promise<EvaluationRecord | null> {
  const key = runKey(runId, 'evaluation.json');
  if (!(await store.exists(key))) return null;
  return getJson<EvaluationRecord>(store, key, 'evaluation', 'evaluate the run again (mlship evaluate)');
}
