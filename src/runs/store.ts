import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { UserError } from '../errors.ts';
import type { ObjectStore } from '../store/store.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { validate } from '../util/validate.ts';
import type { RunRecord } from './record.ts';
import { runRecordSchema } from './schema.ts';

/**
 * Where runs live and how they are read back: `runs/<run-id>/{run.json,model.onnx,profile.json}` in
 * the store and the same files under `.mlship/runs/<run-id>/` locally. Run ids sort by time:
 * `20260101T120000Z-ab12cd` (UTC second, then 6 random hex digits so parallel runs never collide).
 */
export const RUN_FILES = { record: 'run.json', model: 'model.onnx', profile: 'profile.json' } as const;
const RUN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function isRunId(value: string): boolean {
  return RUN_ID.test(value);
}

export const runStoreKey = (runId: string, file: string): string => `runs/${runId}/${file}`;

export interface RunFiles {
  record: RunRecord;
  model: Uint8Array;
  /** profile.json as written (its sha256 is in the record, so the bytes are fixed by the caller). */
  profile: string;
}

/** Writes a run's files to `<localDir>/<run-id>/` and to the store; returns the local paths. */
export async function writeRun(
  store: ObjectStore,
  localDir: string,
  files: RunFiles,
): Promise<{ dir: string; record: string; model: string; profile: string; keys: string[] }> {
  const runId = files.record.runId;
  const dir = join(localDir, runId);
  const contents: Array<[string, Uint8Array | string]> = [
    // The record last: its presence in the store means the model and profile are there too.
    [RUN_FILES.model, files.model],
    [RUN_FILES.profile, files.profile],
    [RUN_FILES.record, `${JSON.stringify(files.record, null, 2)}\n`],
  ];
  for (const [name, body] of contents) await writeFileAtomic(join(dir, name), body);
  for (const [name, body] of contents) await store.put(runStoreKey(runId, name), body);
  return {
    dir,
    record: join(dir, RUN_FILES.record),
    model: join(dir, RUN_FILES.model),
    profile: join(dir, RUN_FILES.profile),
    keys: contents.map(([name]) => runStoreKey(runId, name)),
  };
}

export function parseRunRecord(text: string, source: string): RunRecord {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UserError(`not valid JSON: ${(error as Error).message}`, {
      file: source,
      fix: 'the run record is damaged; train again',
    });
  }
  return validate(runRecordSchema, data, source) as RunRecord;
}

export async function readRun(store: ObjectStore, runId: string): Promise<RunRecord> {
  const key = runStoreKey(runId, RUN_FILES.record);
  if (!(await store.exists(key))) {
    throw new UserError(`run ${runId} is not in the store ${store.url}`, {
      fix: 'list runs with `mlship runs ls`, or check the remote in mlship.yaml',
    });
  }
  return parseRunRecord(new TextDecoder().decode(await store.get(key)), `${store.url}/${key}`);
}

/** Every run record in the store, newest first. */
export async function listRuns(store: ObjectStore, options: { limit?: number } = {}): Promise<RunRecord[]> {
  const ids = (await store.list('runs/'))
    .map((object) => /^runs\/([^/]+)\/run\.json$/.exec(object.key)?.[1])
    .filter((id): id is string => id !== undefined)
    .sort()
    .reverse()
    .slice(0, options.limit ?? Number.POSITIVE_INFINITY);
  const limit = pLimit(8);
  return Promise.all(ids.map((id) => limit(() => readRun(store, id))));
}

/** A run id, or a unique prefix of one (like a short git hash), resolved against the store. */
export async function resolveRunId(store: ObjectStore, idOrPrefix: string): Promise<string> {
  if (await store.exists(runStoreKey(idOrPrefix, RUN_FILES.record))) return idOrPrefix;
  const matches = (await store.list(`runs/${idOrPrefix}`))
    .map((object) => /^runs\/([^/]+)\/run\.json$/.exec(object.key)?.[1])
    .filter((id): id is string => id !== undefined);
  if (matches.length === 1) return matches[0];
  throw new UserError(
    matches.length === 0
      ? `no run ${idOrPrefix} in the store ${store.url}`
      : `run id prefix ${idOrPrefix} is ambiguous (${matches.length} runs)`,
    { fix: 'list runs with `mlship runs ls` and pass a full run id' },
  );
}
