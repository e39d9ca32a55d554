/**
 * Writes data/flights/2001-01.parquet … 2001-06.parquet from vega-datasets' flights-3m.parquet.
 * Usage: npm run ingest [-- --out data/flights]
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { flightsSourcePath, splitFlightsByMonth } from '../src/dataset/flights.ts';
import { writeFileAtomic } from '../src/util/fs.ts';

const outIndex = process.argv.indexOf('--out');
const outDir = outIndex > 0 ? process.argv[outIndex + 1] : 'data/flights';

const started = performance.now();
const months = await splitFlightsByMonth(flightsSourcePath());
for (const { month, rows, bytes } of months) {
  const path = join(outDir, `${month}.parquet`);
  await writeFileAtomic(path, bytes);
  const md5 = createHash('md5').update(bytes).digest('hex');
  console.log(`${path}  ${rows} rows  ${(bytes.length / 1e6).toFixed(1)} MB  md5 ${md5}`);
}
console.log(`ingested in ${((performance.now() - started) / 1000).toFixed(1)} s`);
