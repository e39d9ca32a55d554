/**
 * Data versioning, DVC 3.x compatible: `data.lock`, the content-addressed cache and remote
 * (`files/md5/xx/...`), and the steps add, push, pull and status. Doors (CLI, the dvc-pull
 * action, the demo) call these functions; none of them prints.
 */
export { type AddedOut, type AddOptions, type AddResult, addPaths } from './add.ts';
export { objectKey } from './cache.ts';
export { type DirEntry, dirId, parseDirManifest, serializeDirManifest } from './dir-manifest.ts';
export { md5Bytes, md5File } from './hash.ts';
export { type DataLock, type LockOut, readLock, writeLock } from './lock.ts';
export { lockDigest } from './lock-digest.ts';
export { type PullOptions, type PullResult, pull } from './pull.ts';
export { type PushOptions, type PushResult, push } from './push.ts';
export { type ResolveRemoteOptions, resolveRemote } from './remote.ts';
export { type OutStatus, type StatusOptions, type StatusResult, status } from './status.ts';
export { type DataProgress, defaultJobs, type RemoteOption, type WorkspaceOptions } from './workspace.ts';
