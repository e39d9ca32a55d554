import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's python3-onnx; the default `python3` may be a pyenv one without it. */
const PYTHON = process.env.MLSHIP_ONNX_PYTHON ?? '/usr/bin/python3';

const CHECK = `
import sys, onnx
model = onnx.load(sys.argv[1])
onnx.checker.check_model(model, full_check=True)
`;

/**
 * Runs `onnx.checker.check_model(model, full_check=True)` (which includes shape inference) on the
 * serialised model and throws with the checker's own message when it rejects it.
 */
export async function checkOnnxModel(model: Uint8Array): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mlship-onnx-check-'));
  const file = join(dir, 'model.onnx');
  try {
    await writeFile(file, model);
    await run(PYTHON, ['-c', CHECK, file], { timeout: 60_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    const last = stderr?.split('\n').slice(-3).join('\n');
    throw new Error(`onnx.checker rejected the model: ${last || (error as Error).message}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
