/**
 * Writes data/flights/2001-01.parquet … 2001-06.parquet from vega-datasets' flights-3m.parquet.
 * Usage: npm run ingest [-- --out data/flights]
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { splitFlightsByMonth } from '../src/dataset/flights.ts';
import { writeFileAtomic } from '../src/util/fs.ts';

const outIndex = process.argv.indexOf('--out');
const outDir = outIndex > 0 ? process.argv[outIndex + 1] : 'data/flights';
// The package exports only its JS index; the data files sit beside it, one folder up from build/.
const packageEntry = createRequire(import.meta.url).resolve('vega-datasets');
const source = join(dirname(packageEntry), '..', 'data', 'flights-3m.parquet');

const started = performance.now();
const months = await splitFlightsByMonth(source);
for (const { month, rows, bytes } of months) {
  const path = join(outDir, `${month}.parquet`);
  await writeFileAtomic(path, bytes);
  const md5 = createHash('md5').update(bytes).digest('hex');
  console.log(`${path}  ${rows} rows  ${(bytes.length / 1e6).toFixed(1)} MB  md5 ${md5}`);
}
console.log(`ingested in ${((performance.now() - started) / 1000).toFixed(1)} s`);
