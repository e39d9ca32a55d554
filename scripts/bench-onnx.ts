/**
 * `npm run bench:onnx [-- --model <model.onnx>] [--batches 1,16,100,512] [--seconds 2]`: one
 * exported model in onnxruntime-node, as the service runs it (src/serve/session.ts: one session,
 * one thread), without HTTP: rows/s by rows per run, the time to load the session and the resident
 * memory it adds. Compares tree encodings and allocators (run it under
 * `LD_PRELOAD=libjemalloc.so.2` for the image's allocator) apart from the service's own costs.
 *
 * Model: --model, else the newest .mlship/runs/<id>/model.onnx. Rows: real May 2001 flights
 * (data/flights/2001-05.parquet; `npm run ingest` writes it), fed as the service feeds them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadSpec } from '../src/config/spec.ts';
import { loadDataset } from '../src/dataset/parquet.ts';
import type { ColumnBatch } from '../src/serve/contract.ts';
import { createSession, runSession } from '../src/serve/session.ts';
import { newestRunModel } from './served-model.ts';

const root = resolve(import.meta.dirname, '..');
const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
};
const batches = flag('batches', '1,16,100,512').split(',').map(Number);
const seconds = Number(flag('seconds', '2'));

const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

const found = flag('model', '') || (await newestRunModel());
if (!found) throw new Error('no model: pass --model <model.onnx> or run `mlship train` first');
const modelPath = resolve(found);
const may = join(root, 'data/flights/2001-05.parquet');
if (!existsSync(may)) throw new Error(`${may} is missing: run \`npm run ingest\` first`);
const spec = await loadSpec(join(root, 'mlship.yaml'));
const { dataset } = await loadDataset([may], spec.features, spec.target);
const bytes = new Uint8Array(await readFile(modelPath));

const before = rssMiB();
const loadStarted = performance.now();
const loaded = await createSession(bytes);
const loadSeconds = (performance.now() - loadStarted) / 1000;
// Give a background purge (jemalloc's) a moment before reading what the session keeps.
await new Promise((r) => setTimeout(r, 1500));
const sessionMiB = rssMiB() - before;

/** Rows from..from+n of May in the model's input order, as the service's column batches. */
function batchAt(from: number, n: number): ColumnBatch {
  const columns = loaded.contract.inputs.map((input) => {
    const column = dataset.columns[input.name];
    if (!column) throw new Error(`the model's input ${input.name} is not a column of ${may}`);
    if (column.kind === 'numeric') return Float32Array.from(column.values.subarray(from, from + n));
    return Array.from(column.codes.subarray(from, from + n), (code) =>
      code < 0 ? '' : column.dictionary[code],
    );
  });
  return { rows: n, columns };
}

console.log(`model: ${modelPath} (${(bytes.length / 2 ** 20).toFixed(1)} MiB)`);
console.log(
  `session: loaded in ${loadSeconds.toFixed(2)} s, +${sessionMiB.toFixed(0)} MiB resident (LD_PRELOAD=${process.env.LD_PRELOAD ?? ''})`,
);
console.log('| rows per run | rows/s | µs per row |');
console.log('|---|---|---|');
for (const n of batches) {
  // Prepared batches, so the figure is onnxruntime's (and the feeds' tensors), not the data's.
  const prepared = Array.from({ length: 64 }, (_, i) => batchAt((i * n) % (dataset.numRows - n), n));
  for (let i = 0; i < 20; i++) await runSession(loaded, prepared[i % prepared.length]);
  let runs = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    await runSession(loaded, prepared[runs % prepared.length]);
    runs++;
  }
  const elapsed = (performance.now() - started) / 1000;
  const rowsPerSecond = (runs * n) / elapsed;
  console.log(`| ${n} | ${Math.round(rowsPerSecond)} | ${(1e6 / rowsPerSecond).toFixed(1)} |`);
}
await loaded.session.release();
