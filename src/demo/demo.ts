import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import YAML from 'yaml';
import { addPaths, push } from '../data/index.ts';
import { flightsSourcePath, splitFlightsByMonth } from '../dataset/flights.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { runDemoAction } from './actions.ts';
import { type DemoVersion, runModelLifecycle } from './lifecycle.ts';
import { cloneFresh, createDemoWorld, type DemoWorld } from './workspace.ts';

/**
 * The whole lifecycle on one laptop: a bare git repository for GitHub, a directory for S3.
 * Each step calls the same core function the actions and the CLI call.
 */
export interface DemoOptions {
  /** Where the demo builds its world (wiped first). */
  dir: string;
  /** This repository, whose mlship.yaml and gitops/ the demo project starts from. */
  repoRoot: string;
  /** Rows kept per month (the CI variant uses a slice; the full demo uses all ~500,000). */
  rowsPerMonth?: number;
  /** Flights of each replayed month sent to the service as traffic (evenly spaced). */
  replayRows?: number;
  log: (line: string) => void;
}

export interface DemoSummary {
  world: DemoWorld;
  data: { files: number; bytes: number; pushed: number; pulled: number };
  versions: DemoVersion[];
  reports: Record<string, string>;
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { log } = options;
  const step = stepper(log);

  const world = await step('create a project, its git origin and a local remote', () =>
    createDemoWorld(options.dir, options.repoRoot),
  );
  await pointSpecAtRemote(world);
  const project = simpleGit(world.project);

  const ingested = await step(
    'ingest the flights data set into data/flights (one file per month)',
    async () => {
      const months = await splitFlightsByMonth(flightsSourcePath(), { rowsPerMonth: options.rowsPerMonth });
      for (const month of months) {
        await writeFileAtomic(join(world.project, 'data', 'flights', `${month.month}.parquet`), month.bytes);
      }
      return months;
    },
  );
  log(`    ${ingested.map((m) => `${m.month}: ${m.rows} rows`).join(', ')}`);

  const added = await step('track data/flights in data.lock and push it to the remote', async () => {
    const result = await addPaths({ workspace: world.project, paths: ['data/flights'] });
    const pushed = await push({ workspace: world.project, remote: world.remote });
    await project.add(['data.lock', 'mlship.yaml']);
    await project.commit('Track the flights data (January to June 2001)');
    await project.push('origin', 'main');
    return { result, pushed };
  });
  const out = added.result.outs[0];
  log(`    data.lock: ${out.path} md5 ${out.md5} (${out.nfiles} files, ${mb(out.size)})`);
  log(
    `    pushed ${added.pushed.uploaded} objects (${mb(added.pushed.bytes)}) to ${world.remote}/files/md5/`,
  );

  const pulled = await step(
    'clone the project afresh, as a CI runner would, and pull the data (actions/dvc-pull)',
    async () => {
      const runner = await cloneFresh(world, 'runner');
      return runDemoAction('dvc-pull', runner, {}, log);
    },
  );
  log(
    `    fetched ${pulled.outputs.fetched} objects for ${pulled.outputs.files} files (${mb(Number(pulled.outputs.bytes))}), every one verified against its md5`,
  );

  const data = {
    files: out.nfiles ?? 1,
    bytes: out.size,
    pushed: added.pushed.uploaded,
    pulled: Number(pulled.outputs.fetched),
  };
  const lifecycle = await runModelLifecycle(world, options, step);
  return { world, data, ...lifecycle };
}

export type Step = <T>(title: string, work: () => Promise<T>) => Promise<T>;

function stepper(log: (line: string) => void) {
  let n = 0;
  return async <T>(title: string, work: () => Promise<T>): Promise<T> => {
    n += 1;
    const started = performance.now();
    log(`[${n}] ${title}`);
    const result = await work();
    log(`    done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return result;
  };
}

/** The demo project stores everything in its own local remote, never in the repository's. */
async function pointSpecAtRemote(world: DemoWorld): Promise<void> {
  const path = join(world.project, 'mlship.yaml');
  const doc = YAML.parseDocument(await readFile(path, 'utf8'));
  doc.set('remote', world.remote);
  await writeFile(path, doc.toString());
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
