import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSpec } from '../../config/spec.ts';
import { register as registerRun } from '../../registry/register.ts';
import { openStore } from '../../store/open-store.ts';
import { printResult, progress } from '../output.ts';

/** `mlship register`: upload a run's model, append the ledger, commit, tag, push. */
interface RegisterFlags {
  run: string;
  spec: string;
  remote?: string;
  repo: string;
  gitops?: string;
  gitRemote: string;
  branch?: string;
  push: boolean;
  allowUnevaluated?: boolean;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('register')
    .description('register a run that passed evaluation as the next version of the model (git ledger + tag)')
    .requiredOption('--run <id>', 'run id to register')
    .option('--spec <path>', 'pipeline spec', 'mlship.yaml')
    .option('--remote <url>', 'store holding runs and models (default: remote in mlship.yaml)')
    .option('--repo <dir>', 'git work tree holding the gitops directory', '.')
    .option('--gitops <dir>', 'gitops directory (default: gitops in the repo)')
    .option('--git-remote <name>', 'git remote to push to', 'origin')
    .option('--branch <name>', 'branch to push (default: the checked-out branch)')
    .option('--no-push', 'commit and tag locally only')
    .option('--allow-unevaluated', 'register even without a passing evaluation')
    .option('--force', 'same as --allow-unevaluated')
    .option('--json', 'print the result as JSON')
    .action(async (flags: RegisterFlags) => {
      const spec = await loadSpec(flags.spec);
      const repoDir = resolve(flags.repo);
      const result = await registerRun({
        model: spec.model,
        runId: flags.run,
        store: openStore(flags.remote ?? spec.remote, dirname(resolve(flags.spec))),
        repoDir,
        gitopsDir: flags.gitops ? relative(repoDir, resolve(flags.gitops)) : undefined,
        remote: flags.gitRemote,
        branch: flags.branch,
        push: flags.push,
        allowUnevaluated: flags.allowUnevaluated || flags.force,
        onProgress: progress(flags),
      });
      printResult(flags, result, () =>
        [
          result.alreadyRegistered
            ? `run ${result.runId} was already registered as ${result.tag}`
            : `registered ${result.tag} from run ${result.runId}${flags.push ? '' : ' (not pushed)'}`,
          `  artifact: ${result.artifact.uri}`,
          `  sha256:   ${result.artifact.sha256}`,
          `  commit:   ${result.commit}`,
        ].join('\n'),
      );
    });
}
