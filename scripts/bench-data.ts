/**
 * `npm run bench:data`: pull 2,000 objects of 4 KiB and 4 of 64 MiB from S3 (s3rver on loopback)
 * into an empty cache, then again warm (a no-op), and the same transfer with Debian's awscli
 * (`aws s3 cp --recursive`, and `aws s3 sync` as the warm reference), side by side in one run.
 * Everything is generated in a temp dir (random bytes) and removed afterwards.
 *
 * Options: --small N --large N --large-mib N (sizes), --jobs a,b,c (each is a cold run),
 * --aws /usr/bin/aws, --keep (leave the temp dir).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { addPaths, defaultJobs, pull, push } from '../src/data/index.ts';
import { startS3rverProcess } from '../test/support/s3rver.ts';

const { values } = parseArgs({
  options: {
    small: { type: 'string', default: '2000' },
    large: { type: 'string', default: '4' },
    'large-mib': { type: 'string', default: '64' },
    jobs: { type: 'string', default: String(defaultJobs()) },
    aws: { type: 'string', default: '/usr/bin/aws' },
    keep: { type: 'boolean', default: false },
  },
});
const small = Number(values.small);
const large = Number(values.large);
const largeBytes = Number(values['large-mib']) << 20;
const jobsList = values.jobs.split(',').map(Number);
const root = await mkdtemp(join(tmpdir(), 'mlship-bench-data-'));
// s3rver runs in its own process: sharing this event loop would slow the client being measured.
const s3 = await startS3rverProcess({ buckets: ['bench'] });
Object.assign(process.env, s3.env);
const remote = 's3://bench/data';

const mb = (bytes: number) => bytes / 1e6;
const rows: Array<[string, string, string, string, string]> = [];
function report(what: string, files: number, bytes: number, seconds: number): void {
  rows.push([
    what,
    String(files),
    `${seconds.toFixed(2)} s`,
    `${Math.round(files / seconds)} files/s`,
    `${mb(bytes / seconds).toFixed(1)} MB/s`,
  ]);
  console.error(`  ${what}: ${seconds.toFixed(2)} s`);
}
/** Writes back dirty pages first, so no run pays for the previous run's writes. */
function flushDisks(): void {
  spawnSync('sync');
}
async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const result = await run();
  const used = process.cpuUsage(cpu);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.error(
    `    (client CPU: user ${(used.user / 1e6).toFixed(2)} s + system ${(used.system / 1e6).toFixed(2)} s, in ${seconds.toFixed(2)} s)`,
  );
  return [result, seconds];
}

try {
  console.error(
    `generating ${small} x 4 KiB + ${large} x ${values['large-mib']} MiB of random bytes in ${root}`,
  );
  const source = join(root, 'source');
  for (let i = 0; i < small; i++) {
    const dir = join(source, 'data', 'bench', 'small', String(i % 20).padStart(2, '0'));
    if (i < 20) await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${String(i).padStart(5, '0')}.bin`), randomBytes(4096));
  }
  await mkdir(join(source, 'data', 'bench', 'large'), { recursive: true });
  for (let i = 0; i < large; i++) {
    await writeFile(join(source, 'data', 'bench', 'large', `${i}.bin`), randomBytes(largeBytes));
  }
  const files = small + large;
  const bytes = small * 4096 + large * largeBytes;

  console.error('setup: add and push to s3rver');
  const [, addSeconds] = await timed(() => addPaths({ workspace: source, paths: ['data/bench'] }));
  report('mlship add (hash + cache)', files, bytes, addSeconds);
  const [pushed, pushSeconds] = await timed(() => push({ workspace: source, remote }));
  report(`mlship push (${pushed.uploaded} objects)`, files, bytes, pushSeconds);

  console.error('mlship pull');
  let last = '';
  for (const [run, jobs] of jobsList.entries()) {
    const target = join(root, `pull-${run}`);
    await mkdir(target);
    cpSync(join(source, 'data.lock'), join(target, 'data.lock'));
    const phases = new Map<string, [number, number]>();
    const onProgress = ({ phase }: { phase: string }) => {
      const now = performance.now();
      phases.set(phase, [phases.get(phase)?.[0] ?? now, now]);
    };
    flushDisks();
    const [cold, coldSeconds] = await timed(() => pull({ workspace: target, remote, jobs, onProgress }));
    console.error(
      `    (phases: ${[...phases].map(([phase, [from, to]]) => `${phase} ${((to - from) / 1000).toFixed(2)} s`).join(', ')})`,
    );
    if (cold.fetched !== files + 1 || cold.checkedOut !== files)
      throw new Error(`cold pull did not fetch everything: ${JSON.stringify(cold)}`);
    report(`mlship pull, cold (--jobs ${jobs})`, files, bytes, coldSeconds);
    // Only the newest workspace is needed (for the warm run): keep the temp dir small.
    if (last) await rm(last, { recursive: true, force: true });
    last = target;
  }
  const [warm, warmSeconds] = await timed(() => pull({ workspace: last, remote }));
  if (warm.fetched !== 0 || warm.checkedOut !== 0)
    throw new Error(`warm pull was not a no-op: ${JSON.stringify(warm)}`);
  report('mlship pull, warm no-op (in process)', files, bytes, warmSeconds);
  const cli = spawnSync(
    process.execPath,
    [
      join(import.meta.dirname, '..', 'bin', 'mlship.js'),
      'data',
      'pull',
      '--remote',
      remote,
      '--lock',
      join(last, 'data.lock'),
      '--json',
    ],
    { encoding: 'utf8', env: process.env },
  );
  if (cli.status !== 0) throw new Error(`mlship data pull failed: ${cli.stderr}`);
  const start = process.hrtime.bigint();
  spawnSync(
    process.execPath,
    [
      join(import.meta.dirname, '..', 'bin', 'mlship.js'),
      'data',
      'pull',
      '--remote',
      remote,
      '--lock',
      join(last, 'data.lock'),
      '--json',
    ],
    { encoding: 'utf8', env: process.env },
  );
  report(
    'mlship data pull, warm no-op (CLI, incl. startup)',
    files,
    bytes,
    Number(process.hrtime.bigint() - start) / 1e9,
  );

  if (existsSync(values.aws)) {
    console.error(`reference: ${values.aws}`);
    const awsEnv = {
      ...process.env,
      AWS_CONFIG_FILE: join(root, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(root, 'aws-credentials'),
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
    };
    const aws = (args: string[]) => {
      const start = process.hrtime.bigint();
      const run = spawnSync(values.aws, [...args, '--endpoint-url', s3.endpoint, '--only-show-errors'], {
        env: awsEnv,
        encoding: 'utf8',
      });
      if (run.status !== 0) throw new Error(`aws ${args.join(' ')} failed: ${run.stderr}`);
      return Number(process.hrtime.bigint() - start) / 1e9;
    };
    const into = join(root, 'aws');
    flushDisks();
    report(
      'aws s3 cp --recursive, cold',
      files,
      bytes,
      aws(['s3', 'cp', '--recursive', `${remote}/files/md5/`, into]),
    );
    const copied = (await readdir(into, { recursive: true, withFileTypes: true })).filter((e) =>
      e.isFile(),
    ).length;
    if (copied !== files + 1) throw new Error(`aws copied ${copied} files, expected ${files + 1}`);
    report('aws s3 sync, warm no-op', files, bytes, aws(['s3', 'sync', `${remote}/files/md5/`, into]));
  } else {
    console.error(`${values.aws} not found: apt-get install -y awscli for the reference figures`);
  }

  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((row) => row[i].length)));
  console.log(
    `\ndata pull from s3rver on 127.0.0.1: ${small} x 4 KiB + ${large} x ${values['large-mib']} MiB (${mb(bytes).toFixed(0)} MB)`,
  );
  for (const row of rows)
    console.log(
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
    );
} finally {
  await s3.stop();
  if (!values.keep) await rm(root, { recursive: true, force: true });
}
