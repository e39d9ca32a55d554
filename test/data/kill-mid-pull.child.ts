/**
 * Runs a pull and SIGKILLs its own process when the given phase reports `after` items done: a
 * deterministic "killed half-way" for the resume test. Usage: <workspace> <remote> <phase> <after>
 */
import { pull } from '../../src/data/index.ts';

const [workspace, remote, phase, after] = process.argv.slice(2);
await pull({
  workspace,
  remote,
  jobs: 4,
  onProgress: (progress) => {
    if (progress.phase === phase && progress.done >= Number(after)) process.kill(process.pid, 'SIGKILL');
  },
});
console.log('the pull finished before the kill point');
