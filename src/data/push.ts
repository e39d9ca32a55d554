import { UserError } from '../errors.ts';
import { isDirId } from './hash.ts';
import { selectOuts } from './select.ts';
import { remoteHas, runBounded, uploadObject } from './transfer.ts';
import { expandOuts } from './tree.ts';
import { loadLock, openWorkspace, type RemoteOption, toStore, type WorkspaceOptions } from './workspace.ts';

export interface PushOptions extends WorkspaceOptions {
  remote: RemoteOption;
  paths?: string[];
}

export interface PushResult {
  remote: string;
  /** Objects data.lock needs on the remote (files and directory manifests). */
  objects: number;
  /** Objects uploaded now, and their bytes; the rest were there already. */
  uploaded: number;
  bytes: number;
  alreadyOnRemote: number;
}

/** Uploads the objects of data.lock that the remote lacks; manifests last, as DVC does. */
export async function push(options: PushOptions): Promise<PushResult> {
  const ws = await openWorkspace(options);
  const outs = selectOuts(await loadLock(ws), ws.lockName, options.paths);
  const store = toStore(options.remote, ws.root);

  const expanded = await expandOuts(ws, outs);
  const where = new Map<string, string>();
  for (const entry of expanded) {
    if (!entry.files) {
      throw new UserError(
        `the manifest of directory "${entry.out.path}" (${entry.out.md5}) is not in the cache`,
        {
          file: ws.lockName,
          fix: `run mlship data add ${entry.out.path} (or pull it first)`,
        },
      );
    }
    for (const file of entry.files) if (!where.has(file.md5)) where.set(file.md5, file.relpath);
    if (isDirId(entry.out.md5)) where.set(entry.out.md5, entry.out.path);
  }
  const ids = [...where.keys()];
  const absent = [...(await ws.cache.missing(ids))].map((id) => where.get(id));
  if (absent.length > 0) {
    throw new UserError(
      `${absent.length} object(s) of ${ws.lockName} are not in the local cache (first: ${absent[0]})`,
      { fix: 'mlship data add the paths again, or pull them from the remote that has them' },
    );
  }

  ws.progress({ phase: 'check', done: 0, total: ids.length, bytes: 0 });
  const present = await remoteHas(store, ids, ws.jobs);
  const toUpload = ids.filter((id) => !present.has(id));
  const progress = { done: 0, total: toUpload.length, bytes: 0 };
  const upload = (batch: string[]) =>
    runBounded(
      batch.map((id) => async () => {
        // Await first: `x += await y` reads x before the await and loses concurrent additions.
        const bytes = await uploadObject(store, id, ws.cache);
        progress.bytes += bytes;
        progress.done++;
        ws.progress({ phase: 'upload', ...progress });
      }),
      ws.jobs,
    );
  // A manifest on the remote promises its files are there too: upload it only after them.
  await upload(toUpload.filter((id) => !isDirId(id)));
  await upload(toUpload.filter(isDirId));
  return {
    remote: store.url,
    objects: ids.length,
    uploaded: toUpload.length,
    bytes: progress.bytes,
    alreadyOnRemote: ids.length - toUpload.length,
  };
}
