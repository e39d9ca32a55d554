import { Command } from 'commander';
import { isUserError } from '../errors.ts';

/**
 * `mlship`: one command whose subcommands are the pipeline's steps. Each subcommand lives in
 * `commands/<name>.ts` and exports `register(program)`; this file only wires them up.
 */
const program = new Command('mlship')
  .description('GitOps MLOps: version data, train, evaluate, register, promote, serve, watch for drift')
  .version('0.1.0')
  .showHelpAfterError();

const commandModules = [
  // Each entry: a module under ./commands that exports register(program).
  import('./commands/train.ts'),
  import('./commands/runs.ts'),
  import('./commands/data.ts'),
  import('./commands/demo.ts'),
  import('./commands/promote.ts'),
  import('./commands/serve.ts'),
  import('./commands/evaluate.ts'),
  import('./commands/register.ts'),
  import('./commands/registry.ts'),
  import('./commands/drift-check.ts'),
] as Array<Promise<{ register: (program: Command) => void }>>;

for (const module of await Promise.all(commandModules)) module.register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (isUserError(error)) {
    process.stderr.write(`mlship: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
