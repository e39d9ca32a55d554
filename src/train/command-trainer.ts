import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import * as ort from 'onnxruntime-node';
import type { FeatureSpec } from '../config/spec.ts';
import type { ColumnarDataset } from '../dataset/columnar.ts';
import { MISSING_CODE } from '../dataset/columnar.ts';
import { UserError } from '../errors.ts';
import type { ModelSignature } from '../model/signature.ts';
import { PROBABILITIES_OUTPUT, VALUE_OUTPUT } from '../model/signature.ts';
import type { Params } from './trainer.ts';

/**
 * Any program as a trainer: mlship writes the train, validation and test splits as Parquet files
 * (the feature columns and the target; nulls for missing values; the target as numbers: 0/1 for
 * binary, class indices for multiclass), runs the configured command through the shell with
 *
 *   MLSHIP_TRAIN, MLSHIP_VALIDATION, MLSHIP_TEST   paths of those Parquet files
 *   MLSHIP_PARAMS                                  the parameters as a JSON object
 *   MLSHIP_OUTPUT                                  where to write model.onnx
 *   MLSHIP_FEATURES                                JSON list of {"name", "kind"}
 *   MLSHIP_TARGET, MLSHIP_TASK                     the target column and the task
 *
 * and takes the ONNX model the command writes, after checking it takes the model signature's inputs
 * (one [N, 1] tensor per feature: string for categoricals, float for numerics) and has the outputs
 * mlship reads (`probabilities`, or `value` for regression). A PyTorch or scikit-learn user keeps
 * their own code.
 */
export interface CommandTrainInput {
  command: string;
  /** Working directory of the command (the project root). */
  cwd: string;
  features: FeatureSpec[];
  target: string;
  task: ModelSignature['task'];
  signature: ModelSignature;
  train: ColumnarDataset;
  trainLabels: Float64Array;
  validation: ColumnarDataset;
  validationLabels: Float64Array;
  test: ColumnarDataset;
  testLabels: Float64Array;
  params: Params;
  onProgress?: (message: string) => void;
  /** Where the spec names the command, for error messages. */
  specFile?: string;
  /** Kill the command after this long (default: no limit). */
  timeoutSeconds?: number;
}

export interface CommandTrainResult {
  onnx: Uint8Array;
  params: Params;
  seconds: number;
}

export async function runCommandTrainer(input: CommandTrainInput): Promise<CommandTrainResult> {
  const dir = await mkdtemp(join(tmpdir(), 'mlship-command-'));
  const started = performance.now();
  try {
    const paths = {
      train: join(dir, 'train.parquet'),
      validation: join(dir, 'validation.parquet'),
      test: join(dir, 'test.parquet'),
      output: join(dir, 'model.onnx'),
    };
    writeSplit(paths.train, input.features, input.target, input.train, input.trainLabels);
    writeSplit(paths.validation, input.features, input.target, input.validation, input.validationLabels);
    writeSplit(paths.test, input.features, input.target, input.test, input.testLabels);
    const env = {
      ...process.env,
      MLSHIP_TRAIN: paths.train,
      MLSHIP_VALIDATION: paths.validation,
      MLSHIP_TEST: paths.test,
      MLSHIP_PARAMS: JSON.stringify(input.params),
      MLSHIP_OUTPUT: paths.output,
      MLSHIP_FEATURES: JSON.stringify(input.features.map(({ name, kind }) => ({ name, kind }))),
      MLSHIP_TARGET: input.target,
      MLSHIP_TASK: input.task,
    };
    input.onProgress?.(`command: ${input.command}`);
    await runShell(input, env);
    let onnx: Uint8Array;
    try {
      onnx = new Uint8Array(await readFile(paths.output));
    } catch {
      throw new UserError('the training command finished but wrote no model to $MLSHIP_OUTPUT', {
        file: input.specFile,
        field: 'trainer.command',
        fix: 'make the command write its ONNX model to the path in the MLSHIP_OUTPUT environment variable',
      });
    }
    await checkCommandModel(onnx, input.signature, input.specFile);
    return { onnx, params: input.params, seconds: (performance.now() - started) / 1000 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function writeSplit(
  path: string,
  features: FeatureSpec[],
  target: string,
  dataset: ColumnarDataset,
  labels: Float64Array,
): void {
  const columnData = features.map((feature) => {
    const column = dataset.columns[feature.name];
    if (column.kind === 'numeric') {
      return {
        name: feature.name,
        data: Array.from(column.values, (v) => (Number.isNaN(v) ? null : v)),
        type: 'DOUBLE' as const,
      };
    }
    return {
      name: feature.name,
      data: Array.from(column.codes, (code) => (code === MISSING_CODE ? null : column.dictionary[code])),
      type: 'STRING' as const,
    };
  });
  columnData.push({ name: target, data: Array.from(labels), type: 'DOUBLE' as const });
  parquetWriteFile({ filename: path, columnData });
}

function runShell(input: CommandTrainInput, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(input.command, {
      cwd: input.cwd,
      env,
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        input.onProgress?.(`  | ${line}`);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    const timer =
      input.timeoutSeconds !== undefined
        ? setTimeout(() => child.kill('SIGTERM'), input.timeoutSeconds * 1000)
        : undefined;
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      reject(
        new UserError(
          `the training command failed (${signal ? `killed by ${signal}` : `exit code ${code}`})${tail.length ? `; last output:\n${tail.join('\n')}` : ''}`,
          {
            file: input.specFile,
            field: 'trainer.command',
            fix: 'run the command by hand and fix the error it shows',
          },
        ),
      );
    });
  });
}

const ORT_TYPE: Record<'string' | 'float', string> = { string: 'string', float: 'float32' };

/** Checks the command's model takes exactly the signature's inputs and gives the outputs mlship reads. */
export async function checkCommandModel(
  onnx: Uint8Array,
  signature: ModelSignature,
  specFile?: string,
): Promise<void> {
  const where = { file: specFile, field: 'trainer.command' };
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnx);
  } catch (error) {
    throw new UserError(`the command's model is not a valid ONNX model: ${(error as Error).message}`, {
      ...where,
      fix: 'write a model onnxruntime can load to $MLSHIP_OUTPUT',
    });
  }
  const problems: string[] = [];
  const expected = new Map(signature.inputs.map((input) => [input.name, input]));
  session.inputNames.forEach((name, i) => {
    const want = expected.get(name);
    const meta = session.inputMetadata[i];
    if (!want) {
      problems.push(`input "${name}" is not a feature in mlship.yaml`);
      return;
    }
    if (meta?.isTensor) {
      if (meta.type !== ORT_TYPE[want.type]) {
        problems.push(`input "${name}" is ${meta.type}, expected ${ORT_TYPE[want.type]} (${want.kind})`);
      }
      const rank = meta.shape.length;
      const last = meta.shape[rank - 1];
      if (rank !== 2 || (typeof last === 'number' && last !== 1)) {
        problems.push(`input "${name}" has shape [${meta.shape.join(', ')}], expected [N, 1]`);
      }
    }
  });
  for (const name of expected.keys()) {
    if (!session.inputNames.includes(name)) problems.push(`feature "${name}" is not an input of the model`);
  }
  const wanted = signature.task === 'regression' ? VALUE_OUTPUT : PROBABILITIES_OUTPUT;
  if (!session.outputNames.includes(wanted)) {
    problems.push(`the model has no output "${wanted}" (it has: ${session.outputNames.join(', ')})`);
  }
  await session.release();
  if (problems.length > 0) {
    throw new UserError(`the command's model does not match the signature: ${problems.join('; ')}`, {
      ...where,
      fix: 'name one [N, 1] input per feature (string for categoricals, float for numerics) and output "probabilities" (or "value")',
    });
  }
}
