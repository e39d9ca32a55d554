import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type EnvManifest, parseEnvManifest } from '../gitops/manifest.ts';
import { gitTagFor, type LedgerEntry } from './ledger.ts';
import { readLedger } from './ledger-io.ts';

/**
 * The registry as people ask about it: every version of a model, its metrics, and the
 * environments serving it. Stages are derived from the overlays, never stored twice.
 */
export interface RegistryVersion {
  version: number;
  tag: string;
  runId: string;
  createdAt: string;
  sha256: string;
  metrics: Record<string, number>;
  /** Environments whose overlays/<env>/model.yaml pin this version (and its exact artifact). */
  environments: string[];
}

export interface RegistryListing {
  model: string;
  versions: RegistryVersion[];
  /** Environments pinning a version or artifact the ledger does not hold (worth a look). */
  unknown: Array<{ environment: string; version: number; sha256: string }>;
}

export async function readEnvironmentManifests(gitopsDir: string): Promise<EnvManifest[]> {
  const overlays = join(gitopsDir, 'overlays');
  if (!existsSync(overlays)) return [];
  const out: EnvManifest[] = [];
  for (const entry of (await readdir(overlays, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const file = join(overlays, entry.name, 'model.yaml');
    if (entry.isDirectory() && existsSync(file))
      out.push(parseEnvManifest(await readFile(file, 'utf8'), file));
  }
  return out;
}

export async function listRegistry(gitopsDir: string, model: string): Promise<RegistryListing> {
  const ledger = await readLedger(gitopsDir, model);
  const manifests = (await readEnvironmentManifests(gitopsDir)).filter((m) => m.model === model);
  const serving = (entry: LedgerEntry) =>
    manifests
      .filter((m) => m.version === entry.version && m.artifact.sha256 === entry.artifact.sha256)
      .map((m) => m.environment);
  return {
    model,
    versions: ledger.versions.map((entry) => ({
      version: entry.version,
      tag: gitTagFor(model, entry.version),
      runId: entry.runId,
      createdAt: entry.createdAt,
      sha256: entry.artifact.sha256,
      metrics: entry.metrics,
      environments: serving(entry),
    })),
    unknown: manifests
      .filter(
        (m) =>
          !ledger.versions.some((v) => v.version === m.version && v.artifact.sha256 === m.artifact.sha256),
      )
      .map((m) => ({ environment: m.environment, version: m.version, sha256: m.artifact.sha256 })),
  };
}

/** Models with a ledger under gitops/registry/. */
export async function registeredModels(gitopsDir: string): Promise<string[]> {
  const dir = join(gitopsDir, 'registry');
  if (!existsSync(dir)) return [];
  return (await readdir(dir))
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => name.slice(0, -'.yaml'.length))
    .sort();
}
