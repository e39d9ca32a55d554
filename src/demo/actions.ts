import { type RunActionResult, runAction } from '../../scripts/run-action.ts';

/**
 * The demo runs each pipeline step as GitHub runs it: the action's committed bundle, inputs as
 * INPUT_* variables, outputs read back from GITHUB_OUTPUT. What runs here is what runs in CI.
 */
const MAX_LINES = 16;

export async function runDemoAction(
  action: string,
  workspace: string,
  inputs: Record<string, string | number | boolean | undefined>,
  log: (line: string) => void,
  options: { allowFailure?: boolean } = {},
): Promise<RunActionResult> {
  // Enough of each action's log to follow it; the rest is in the returned result.
  let shown = 0;
  const result = await runAction({
    action,
    workspace,
    inputs,
    // A demo project needs git and node like a runner has them, nothing of this shell's secrets.
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    github: { repository: 'demo/flight-delay', eventName: 'workflow_dispatch' },
    stream: (line) => {
      if (!line.trim() || line.startsWith('::')) return;
      shown++;
      if (shown <= MAX_LINES) log(`    | ${line}`);
      else if (shown === MAX_LINES + 1) log('    | …');
    },
  });
  if (result.exitCode !== 0 && !options.allowFailure) {
    const why = result.annotations.find((a) => a.level === 'error')?.message ?? result.stderr.slice(-2000);
    throw new Error(`the ${action} action failed (exit ${result.exitCode}): ${why}`);
  }
  return result;
}
