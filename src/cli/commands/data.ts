import { dirname, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { addPaths, type DataProgress, pull, push, resolveRemote, status } from '../../data/index.ts';
import { UserError } from '../../errors.ts';
import { printResult, table } from '../output.ts';

/** `mlship data add|push|pull|status`: DVC-style data versioning (see src/data). */
interface DataFlags {
  lock: string;
  remote?: string;
  spec?: string;
  jobs?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const data = program
    .command('data')
    .description('version data: data.lock, the local cache and the remote (DVC 3 compatible)');
  const common = (command: Command, remote = true): Command => {
    command
      .option('--lock <path>', 'the lock file; tracked paths are relative to its folder', 'data.lock')
      .option('--jobs <n>', 'parallel transfers')
      .option('--json', 'print the result as JSON');
    if (remote) {
      command
        .option('--remote <url>', 's3://bucket/prefix or a directory (default: remote in mlship.yaml)')
        .option('--spec <path>', 'pipeline spec that names the remote', 'mlship.yaml');
    }
    return command;
  };

  common(
    data.command('add').description('hash files or directories, cache them and record them in data.lock'),
    false,
  )
    .argument('<paths...>', 'files or directories to track')
    .action(async (paths: string[], flags: DataFlags) => {
      const result = await addPaths({
        ...base(flags),
        paths: paths.map((path) => resolve(path)),
      });
      printResult(flags, result, () =>
        [
          table(
            ['path', 'md5', 'files', 'size'],
            result.outs.map((out) => [out.path, out.md5, out.nfiles ?? 1, bytes(out.size)]),
          ),
          `tracked ${result.files} file(s), ${bytes(result.bytes)}; ${result.stored} new object(s) in the cache; ${rel(result.lockPath)} updated`,
        ].join('\n'),
      );
    });

  common(data.command('push').description('upload the objects of data.lock that the remote lacks'))
    .argument('[paths...]', 'only these tracked paths')
    .action(async (paths: string[], flags: DataFlags) => {
      const result = await push({
        ...base(flags),
        remote: await remoteOf(flags),
        paths: tracked(flags, paths),
      });
      printResult(
        flags,
        result,
        () =>
          `pushed ${result.uploaded} object(s), ${bytes(result.bytes)}, to ${result.remote}; ${result.alreadyOnRemote} of ${result.objects} were there already`,
      );
    });

  common(data.command('pull').description('fetch what the cache lacks (verified) and check files out'))
    .argument('[paths...]', 'only these tracked paths')
    .option('--force', 'overwrite workspace files that differ from data.lock even if not saved in the cache')
    .action(async (paths: string[], flags: DataFlags & { force?: boolean }) => {
      const result = await pull({
        ...base(flags),
        remote: await remoteOf(flags),
        paths: tracked(flags, paths),
        force: flags.force,
      });
      printResult(
        flags,
        result,
        () =>
          `${result.files} file(s), ${bytes(result.bytes)}: fetched ${result.fetched} object(s) (${bytes(result.fetchedBytes)}) from ${result.remote}, checked out ${result.checkedOut}, ${result.upToDate} up to date`,
      );
    });

  common(data.command('status').description('what is modified, missing locally, or missing on the remote'))
    .argument('[paths...]', 'only these tracked paths')
    .option('--no-remote-check', 'look only at the workspace and the local cache')
    .action(async (paths: string[], flags: DataFlags & { remoteCheck: boolean }) => {
      const result = await status({
        ...base(flags),
        remote: flags.remoteCheck ? await remoteOf(flags) : undefined,
        paths: tracked(flags, paths),
      });
      printResult(flags, result, () => {
        const rows = result.outs.map((out) => [
          out.path,
          out.workspace,
          out.missingInCache === 0 ? 'ok' : `${out.missingInCache} missing`,
          out.missingOnRemote === null
            ? '-'
            : out.missingOnRemote === 0
              ? 'ok'
              : `${out.missingOnRemote} missing`,
        ]);
        const summary = result.clean
          ? 'everything is up to date'
          : `${result.modified} modified, ${result.missingInWorkspace} missing in the workspace, ${result.missingInCache} object(s) missing in the cache` +
            (result.missingOnRemote === null
              ? ''
              : `, ${result.missingOnRemote} missing on ${result.remote}`);
        return `${table(['path', 'workspace', 'cache', 'remote'], rows)}\n${summary}`;
      });
    });
}

function base(flags: DataFlags) {
  const lockPath = resolve(flags.lock);
  const jobs = flags.jobs === undefined ? undefined : Number(flags.jobs);
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0)) {
    throw new UserError(`--jobs ${flags.jobs} is not a positive whole number`, {
      fix: 'pass e.g. --jobs 16',
    });
  }
  return { workspace: dirname(lockPath), lockPath, jobs, onProgress: renderProgress() };
}

function remoteOf(flags: DataFlags): Promise<string> {
  return resolveRemote({
    remote: flags.remote,
    specPath: flags.spec && resolve(flags.spec),
    workspace: dirname(resolve(flags.lock)),
  });
}

/** Paths given on the command line (relative to the current folder) as workspace-relative paths. */
function tracked(flags: DataFlags, paths: string[]): string[] {
  const workspace = dirname(resolve(flags.lock));
  return paths.map((path) => relative(workspace, resolve(path)).split(sep).join('/'));
}

function rel(path: string): string {
  return relative(process.cwd(), path) || path;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Progress on stderr: one rewritten line on a terminal; otherwise a line per phase when it ends
 * (and at most every 2 s while it runs), so CI logs stay short.
 */
function renderProgress(): (progress: DataProgress) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  let lastPhase = '';
  return (p) => {
    const now = Date.now();
    const finished = p.done === p.total;
    const changed = p.phase !== lastPhase;
    if (!finished && !changed && now - last < (tty ? 100 : 2000)) return;
    last = now;
    lastPhase = p.phase;
    const line = `${p.phase}: ${p.done}/${p.total}${p.bytes ? ` (${bytes(p.bytes)})` : ''}`;
    if (tty) process.stderr.write(`\r\x1b[K${line}${finished ? '\n' : ''}`);
    else if (finished) process.stderr.write(`${line}\n`);
    else if (!changed) process.stderr.write(`${line}\n`);
  };
}
