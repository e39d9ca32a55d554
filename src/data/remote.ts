import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadSpec } from '../config/spec.ts';

export interface ResolveRemoteOptions {
  /** An explicit remote (--remote, the action's input); wins when given. */
  remote?: string;
  /** The pipeline spec naming the remote; default `<workspace>/mlship.yaml`. */
  specPath?: string;
  workspace: string;
}

/**
 * Which remote a data step uses: the explicit one, else `remote:` in mlship.yaml (a directory is
 * relative to the spec's folder), else the embedded default `.mlship/remote` in the workspace.
 */
export async function resolveRemote(options: ResolveRemoteOptions): Promise<string> {
  if (options.remote) return options.remote;
  const specPath = resolve(options.workspace, options.specPath ?? 'mlship.yaml');
  if (!existsSync(specPath)) return resolve(options.workspace, join('.mlship', 'remote'));
  const { remote } = await loadSpec(specPath);
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(remote) ? remote : resolve(dirname(specPath), remote);
}
