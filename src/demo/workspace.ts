import { cp, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { simpleGit } from 'simple-git';

/**
 * The demo's little world, all on the local disk: a bare git repository standing in for GitHub,
 * a project clone where the pipeline commits (as CI would), a local directory as the remote store,
 * and a second, fresh clone where a teammate pulls the data.
 */
export interface DemoWorld {
  root: string;
  /** Bare repository: "origin". */
  origin: string;
  /** The project checkout the pipeline works in. */
  project: string;
  /** The object store (DVC remote + runs, models, capture). */
  remote: string;
}

/** Files of this repository that a project using mlship carries. */
const PROJECT_FILES = ['mlship.yaml', 'gitops'];

export async function createDemoWorld(root: string, repoRoot: string): Promise<DemoWorld> {
  const world: DemoWorld = {
    root: resolve(root),
    origin: join(resolve(root), 'origin.git'),
    project: join(resolve(root), 'project'),
    remote: join(resolve(root), 'remote'),
  };
  await rm(world.root, { recursive: true, force: true });
  await mkdir(world.project, { recursive: true });
  await mkdir(world.remote, { recursive: true });
  await simpleGit().init(['--bare', '--initial-branch=main', world.origin]);

  for (const file of PROJECT_FILES) {
    await cp(join(repoRoot, file), join(world.project, file), { recursive: true });
  }
  const git = simpleGit(world.project);
  await git.init(['--initial-branch=main']);
  await git.addConfig('user.name', 'mlship demo');
  await git.addConfig('user.email', 'demo@mlship.invalid');
  await git.addRemote('origin', world.origin);
  await git.add('.');
  await git.commit('Start a project that ships a flight-delay model with mlship');
  await git.push('origin', 'main', ['--set-upstream']);
  return world;
}

/** A fresh clone of origin, as a teammate (or a CI runner) would start. */
export async function cloneFresh(world: DemoWorld, name: string): Promise<string> {
  const dir = join(world.root, name);
  await simpleGit().clone(world.origin, dir);
  const git = simpleGit(dir);
  await git.addConfig('user.name', 'mlship demo');
  await git.addConfig('user.email', 'demo@mlship.invalid');
  return dir;
}
