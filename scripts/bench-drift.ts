/**
 * drift-check on a whole month of flights: June (~500,000 rows) against a profile of May.
 * Times, separately: building the profile, the statistics on columns already in memory, reading
 * the same rows back from gzipped capture JSON lines in a local store, and the whole drift-check
 * (manifest, verified profile, window, statistics, HTML report).
 *
 * Usage: npm run bench:drift [-- --reference 2001-05 --current 2001-06 --runs 5 --out dir]
 * Needs data/flights (npm run ingest). Scores are a fixed function of the features, not a model's:
 * the timing does not depend on what the score means.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { type CaptureRecord, captureKey } from '../src/capture/format.ts';
import { parseSpec } from '../src/config/spec.ts';
import type { ColumnarDataset } from '../src/dataset/columnar.ts';
import { loadDataset } from '../src/dataset/parquet.ts';
import { computeDrift, driftCheck } from '../src/drift/check.ts';
import { windowPerformance } from '../src/drift/performance.ts';
import { formatNumber } from '../src/drift/report.ts';
import { readCaptureWindow } from '../src/drift/window.ts';
import { buildProfile } from '../src/profile/build.ts';
import { LocalStore } from '../src/store/local-store.ts';
import { toYaml } from '../src/util/fs.ts';

const gzip = promisify(gzipCallback);
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const referenceMonth = arg('reference', '2001-05');
const currentMonth = arg('current', '2001-06');
const runs = Number(arg('runs', '5'));
/** Keep the whole drift-check's report.html, drift.json and summary.md here (default: thrown away). */
const keepOut = arg('out', '');

const spec = parseSpec(
  `
schema: 1
model: flights
task: binary
data: { train: [data/flights/${referenceMonth}.parquet], test: [data/flights/${currentMonth}.parquet] }
features:
  - { name: origin, kind: categorical }
  - { name: destination, kind: categorical }
  - { name: distance, kind: numeric }
  - { name: dep_hour, kind: numeric }
  - { name: day_of_week, kind: numeric }
target: delayed
trainer: { type: gbdt }
`,
  'bench',
);

/** A deterministic stand-in for a model's probability: later departures are delayed more often. */
function surrogateScores(dataset: ColumnarDataset): Float64Array {
  const hour = dataset.columns.dep_hour;
  const distance = dataset.columns.distance;
  if (hour.kind !== 'numeric' || distance.kind !== 'numeric') throw new Error('unexpected column kinds');
  return Float64Array.from(
    { length: dataset.numRows },
    (_, r) => 1 / (1 + Math.exp(-(-2.2 + 0.08 * (hour.values[r] - 6) + 0.0001 * distance.values[r]))),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time<T>(fn: () => T | Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - start) / 1000 };
}

const reference = await loadDataset([`data/flights/${referenceMonth}.parquet`], spec.features, spec.target);
const current = await loadDataset([`data/flights/${currentMonth}.parquet`], spec.features, spec.target);
const referenceScores = surrogateScores(reference.dataset);
const currentScores = surrogateScores(current.dataset);
const rows = current.dataset.numRows;
console.log(
  `reference ${referenceMonth}: ${reference.dataset.numRows} rows; current ${currentMonth}: ${rows} rows`,
);

const profiled = await time(() =>
  buildProfile({
    model: 'flights',
    runId: `bench-${referenceMonth}`,
    dataset: reference.dataset,
    features: spec.features,
    scores: referenceScores,
  }),
);
const profile = profiled.value;

// 1. Statistics on in-memory columns.
const statTimes: number[] = [];
let result = computeDrift(profile, spec.features, current.dataset, currentScores, spec.drift);
for (let i = 0; i < runs; i++) {
  statTimes.push(
    (await time(() => computeDrift(profile, spec.features, current.dataset, currentScores, spec.drift)))
      .seconds,
  );
}

// 2. The same rows as capture logs: gzipped JSON lines, 20,000 rows a file, spread over the month.
const dir = await mkdtemp(join(tmpdir(), 'mlship-bench-drift-'));
try {
  const store = new LocalStore(join(dir, 'remote'));
  const [year, month] = currentMonth.split('-').map(Number);
  const from = new Date(Date.UTC(year, month - 1, 1));
  const to = new Date(Date.UTC(year, month, 1));
  const step = (to.getTime() - from.getTime()) / rows;
  const columns = current.dataset.columns;
  let bytes = 0;
  let files = 0;
  for (let start = 0, seq = 0; start < rows; start += 20_000, seq++) {
    let text = '';
    for (let r = start; r < Math.min(rows, start + 20_000); r++) {
      const inputs: CaptureRecord['inputs'] = {};
      for (const f of spec.features) {
        const c = columns[f.name];
        inputs[f.name] =
          c.kind === 'numeric' ? Math.fround(c.values[r]) : c.codes[r] < 0 ? '' : c.dictionary[c.codes[r]];
      }
      const record: CaptureRecord = {
        ts: new Date(from.getTime() + r * step).toISOString(),
        id: `r${r}`,
        model: 'flights',
        version: 1,
        inputs,
        outputs: { score: Math.fround(currentScores[r]), label: currentScores[r] >= 0.5 ? 1 : 0 },
      };
      text += `${JSON.stringify(record)}\n`;
    }
    const body = await gzip(text);
    bytes += body.length;
    files++;
    await store.put(
      captureKey('flights', 'production', new Date(from.getTime() + start * step), 'bench', seq),
      body,
    );
  }
  const readTimes: number[] = [];
  let window: Awaited<ReturnType<typeof readCaptureWindow>> | undefined;
  for (let i = 0; i < Math.min(runs, 3); i++) {
    const read = await time(() =>
      readCaptureWindow({
        store,
        model: 'flights',
        environment: 'production',
        from,
        to,
        features: spec.features,
      }),
    );
    if (read.value.dataset.numRows !== rows)
      throw new Error(`read ${read.value.dataset.numRows} rows, wrote ${rows}`);
    readTimes.push(read.seconds);
    window = read.value;
  }

  // 4. Performance on the window: every captured row joined back to its labelled row by content.
  const joined = await time(() =>
    windowPerformance({
      task: 'binary',
      features: spec.features,
      window: window!.dataset,
      scores: window!.scores,
      labelled: current.dataset,
      labels: current.labels,
      registered: {},
      maxRegression: {},
    }),
  );

  // 3. The whole step, as the CLI and the action run it.
  const profileBytes = JSON.stringify(profile);
  await store.put('runs/bench/profile.json', profileBytes);
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  await mkdir(join(dir, 'gitops/overlays/production'), { recursive: true });
  await writeFile(
    join(dir, 'gitops/overlays/production/model.yaml'),
    toYaml({
      schema: 1,
      model: 'flights',
      version: 1,
      environment: 'production',
      artifact: { uri: 'models/flights/none.onnx', sha256: sha('none') },
      profile: { uri: 'runs/bench/profile.json', sha256: sha(profileBytes) },
    }),
  );
  const whole = await time(() =>
    driftCheck({
      spec,
      store,
      environment: 'production',
      gitopsDir: join(dir, 'gitops'),
      from,
      to,
      outDir: keepOut || join(dir, 'out'),
    }),
  );
  result = whole.value;

  console.log('\nfeature       test                 statistic  PSI      drifted');
  for (const f of [...result.features, result.score]) {
    console.log(
      `${f.feature.padEnd(13)} ${f.test.padEnd(20)} ${formatNumber(f.statistic, 4).padStart(9)}  ${formatNumber(f.psi, 4).padEnd(8)} ${f.drifted ? 'yes' : 'no'}`,
    );
  }
  console.log(`dataset drift: ${result.drifted} (share ${formatNumber(result.driftShare, 2)})\n`);
  console.log(`build profile (${reference.dataset.numRows} rows)          ${profiled.seconds.toFixed(3)} s`);
  console.log(
    `statistics, in-memory columns (${rows} rows)   ${median(statTimes).toFixed(3)} s  (median of ${runs})`,
  );
  console.log(
    `read capture window (${files} files, ${(bytes / 1e6).toFixed(1)} MB gzip)  ${median(readTimes).toFixed(3)} s  (median of ${readTimes.length}; ${Math.round(rows / median(readTimes))} rows/s)`,
  );
  console.log(`whole drift-check (read + statistics + report)   ${whole.seconds.toFixed(3)} s`);
  console.log(
    `performance join (${joined.value.matched} of ${rows} rows labelled)  ${joined.seconds.toFixed(3)} s  (auc ${formatNumber(joined.value.metrics.auc, 4)})`,
  );
  console.log(
    `load average while running: ${(await import('node:os')).loadavg()[0].toFixed(1)} on ${(await import('node:os')).cpus().length} cores`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
