import { UserError } from '../errors.ts';
import type { DataLock, LockOut } from './lock.ts';

/** The lock entries a command works on: all, or those at or under the given paths. */
export function selectOuts(lock: DataLock, lockName: string, paths?: string[]): LockOut[] {
  if (lock.outs.length === 0) {
    throw new UserError('no data is tracked yet', {
      file: lockName,
      fix: 'run mlship data add <path> first',
    });
  }
  if (!paths || paths.length === 0) return lock.outs;
  const wanted = paths.map((path) => path.replace(/\/+$/, ''));
  const selected = lock.outs.filter((out) =>
    wanted.some((path) => out.path === path || out.path.startsWith(`${path}/`)),
  );
  if (selected.length === 0) {
    throw new UserError(`none of ${wanted.join(', ')} is tracked`, {
      file: lockName,
      fix: 'name paths listed in data.lock (or run mlship data add first)',
    });
  }
  return selected;
}
