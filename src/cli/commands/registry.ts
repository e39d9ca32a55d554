import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSpec } from '../../config/spec.ts';
import { orderedMetricNames } from '../../metrics/index.ts';
import { listRegistry, type RegistryListing, registeredModels } from '../../registry/list.ts';
import { formatNumber } from '../../report/evaluation.ts';
import { printResult, table } from '../output.ts';

/** `mlship registry ls`: versions, their metrics, and the environments serving each. */
interface ListFlags {
  model?: string;
  gitops?: string;
  spec: string;
  json?: boolean;
}

export function register(program: Command): void {
  const registry = program.command('registry').description('the model registry kept in gitops/registry');
  registry
    .command('ls')
    .description('list registered versions with metrics and the environments that serve them')
    .option('--model <name>', 'one model (default: every model with a ledger)')
    .option('--gitops <dir>', 'gitops directory (default: gitops beside the spec)')
    .option('--spec <path>', 'pipeline spec', 'mlship.yaml')
    .option('--json', 'print the listing as JSON')
    .action(async (flags: ListFlags) => {
      const gitopsDir = flags.gitops ? resolve(flags.gitops) : join(dirname(resolve(flags.spec)), 'gitops');
      const models = flags.model
        ? [flags.model]
        : existsSync(resolve(flags.spec)) && !existsSync(join(gitopsDir, 'registry'))
          ? [(await loadSpec(flags.spec)).model]
          : await registeredModels(gitopsDir);
      const listings = await Promise.all(models.map((model) => listRegistry(gitopsDir, model)));
      printResult(flags, listings, () => listings.map(human).join('\n\n') || 'no models registered yet');
    });
}

function human(listing: RegistryListing): string {
  if (listing.versions.length === 0) return `${listing.model}: no versions registered yet`;
  const metrics = orderedMetricNames(...listing.versions.map((v) => v.metrics)).slice(0, 4);
  const lines = [
    `${listing.model}`,
    table(
      ['version', 'tag', 'run', 'created', ...metrics, 'serving'],
      listing.versions.map((v) => [
        `v${v.version}`,
        v.tag,
        v.runId,
        v.createdAt.replace(/\.\d+Z$/, 'Z'),
        ...metrics.map((m) => formatNumber(v.metrics[m])),
        v.environments.join(', ') || '-',
      ]),
    ),
  ];
  for (const u of listing.unknown) {
    lines.push(
      `warning: ${u.environment} pins v${u.version} (${u.sha256.slice(0, 12)}), which the ledger does not hold`,
    );
  }
  return lines.join('\n');
}
