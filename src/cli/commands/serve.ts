import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_SERVER_CONFIG, runServer } from '../../../serving/server.ts';
import { loadSpec } from '../../config/spec.ts';
import { UserError } from '../../errors.ts';
import { envManifestPath } from '../../gitops/manifest.ts';

/**
 * `mlship serve`: runs the inference service locally on the model an environment's manifest pins,
 * exactly as the container does (same code, JSON logs on stdout). Stops cleanly on Ctrl-C.
 */
interface ServeFlags {
  env: string;
  gitops: string;
  manifest?: string;
  remote?: string;
  spec: string;
  host: string;
  port: string;
  workers: string;
  captureSample: string;
  logLevel: string;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the model an environment pins (Open Inference Protocol v2, /predict, MLflow /invocations)',
    )
    .option('--env <name>', 'environment whose gitops/overlays/<env>/model.yaml names the model', 'staging')
    .option('--gitops <dir>', 'the gitops directory', 'gitops')
    .option('--manifest <path>', 'an environment manifest to serve instead of --gitops/--env')
    .option('--remote <url>', 's3://bucket/prefix or a directory (default: remote in mlship.yaml)')
    .option('--spec <path>', 'pipeline spec that names the remote', 'mlship.yaml')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', '8080')
    .option(
      '--workers <n>',
      'inference worker threads (0: run the model on the HTTP thread)',
      String(DEFAULT_SERVER_CONFIG.workers),
    )
    .option(
      '--capture-sample <share>',
      'share of rows captured to the store, 0..1',
      String(DEFAULT_SERVER_CONFIG.captureSampleRate),
    )
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (flags: ServeFlags) => {
      const manifestPath = resolve(flags.manifest ?? envManifestPath(flags.gitops, flags.env));
      if (!existsSync(manifestPath)) {
        throw new UserError(`no environment manifest at ${manifestPath}`, {
          fix: `promote a model to ${flags.env} first (mlship promote), or pass --manifest`,
        });
      }
      let remote = flags.remote;
      if (!remote && existsSync(flags.spec)) remote = (await loadSpec(flags.spec)).remote;
      await runServer({
        ...DEFAULT_SERVER_CONFIG,
        manifestPath,
        remote: remote ? resolveRemote(remote) : undefined,
        host: flags.host,
        port: count(flags.port, '--port'),
        workers: count(flags.workers, '--workers'),
        captureSampleRate: share(flags.captureSample),
        logLevel: flags.logLevel,
      });
    });
}

function resolveRemote(remote: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(remote) ? remote : resolve(remote);
}

function count(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`${flag} must be a whole number`, { field: flag });
  return n;
}

function share(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1))
    throw new UserError('--capture-sample must be between 0 and 1', { field: '--capture-sample' });
  return n;
}
