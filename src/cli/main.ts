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

type CommandModule = { register: (program: Command) => void };

// Each subcommand's module, by name. Only the one invoked is loaded (they pull in the AWS SDK,
// onnxruntime, Fastify…), so `mlship data pull` starts in a fraction of the time; help loads all.
const commands: Record<string, () => Promise<CommandModule>> = {
  train: () => import('./commands/train.ts'),
  runs: () => import('./commands/runs.ts'),
  data: () => import('./commands/data.ts'),
  demo: () => import('./commands/demo.ts'),
  promote: () => import('./commands/promote.ts'),
  serve: () => import('./commands/serve.ts'),
  evaluate: () => import('./commands/evaluate.ts'),
  register: () => import('./commands/register.ts'),
  registry: () => import('./commands/registry.ts'),
  'drift-check': () => import('./commands/drift-check.ts'),
};

const invoked = process.argv[2];
const wanted = invoked && invoked in commands ? [commands[invoked]] : Object.values(commands);
for (const module of await Promise.all(wanted.map((load) => load()))) module.register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (isUserError(error)) {
    process.stderr.write(`mlship: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
