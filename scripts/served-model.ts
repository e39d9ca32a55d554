import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildFixtureModel, fixtureProfile } from '../test/serving/fixture-model.ts';

/**
 * The model the serving benchmarks measure, picked the same way by each of them: `--model <path>`
 * (with the profile.json beside it), else the newest `.mlship/runs/<id>/model.onnx` that
 * `mlship train` wrote, else the small test model of the serving tests.
 */
const root = resolve(import.meta.dirname, '..');

export async function newestRunModel(): Promise<string | undefined> {
  const runs = join(root, '.mlship/runs');
  if (!existsSync(runs)) return undefined;
  let best: { path: string; mtime: number } | undefined;
  for (const id of await readdir(runs)) {
    const path = join(runs, id, 'model.onnx');
    if (!existsSync(path)) continue;
    const mtime = (await stat(path)).mtimeMs;
    if (!best || mtime > best.mtime) best = { path, mtime };
  }
  return best?.path;
}

export interface ServedModel {
  /** Where the model came from; undefined for the test model. */
  path: string | undefined;
  model: Uint8Array;
  profile: Uint8Array;
}

export async function servedModel(given: string | undefined): Promise<ServedModel> {
  const path = given || (await newestRunModel());
  if (!path) {
    return {
      path: undefined,
      model: buildFixtureModel(),
      profile: new TextEncoder().encode(JSON.stringify(fixtureProfile())),
    };
  }
  const profilePath = join(resolve(path, '..'), 'profile.json');
  return {
    path,
    model: new Uint8Array(await readFile(path)),
    profile: existsSync(profilePath)
      ? new Uint8Array(await readFile(profilePath))
      : new TextEncoder().encode(JSON.stringify(fixtureProfile())),
  };
}
