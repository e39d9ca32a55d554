import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { loadSpec, type Spec } from '../config/spec.ts';
import { evaluate } from '../evaluate/evaluate.ts';
import type { EvaluationResult } from '../evaluate/types.ts';
import { promote, renderOverlayObjects } from '../promote/index.ts';
import { register } from '../registry/register.ts';
import { openStore } from '../store/open-store.ts';
import type { ObjectStore } from '../store/store.ts';
import { train } from '../train/train.ts';
import type { DemoOptions, Step } from './demo.ts';
import { serveAndWatch } from './watch.ts';
import type { DemoWorld } from './workspace.ts';

/** One model version the demo trained, and what became of it. */
export interface DemoVersion {
  runId: string;
  trainer: string;
  testMetrics: Record<string, number>;
  passed: boolean;
  version: number | null;
  report: string;
}

/**
 * The model half of the demo: train on January-April, evaluate, register version 1, promote it
 * to staging and production through promotion branches a reviewer merges, then train a second
 * configuration and let the gates against the production champion decide whether it registers.
 */
export async function runModelLifecycle(
  world: DemoWorld,
  options: DemoOptions,
  step: Step,
): Promise<{ versions: DemoVersion[]; reports: Record<string, string> }> {
  const { log } = options;
  const spec = await loadSpec(join(world.project, 'mlship.yaml'));
  const store = openStore(spec.remote, world.project);
  const versions: DemoVersion[] = [];
  const reports: Record<string, string> = {};

  const first = await trainEvaluateRegister(world, spec, store, step, log, {
    title: `train ${spec.trainer.type} on January-April, test on May`,
  });
  versions.push(first);
  reports['first model report'] = first.report;
  if (first.version === null)
    throw new Error('the first model did not pass its gates; the demo cannot go on');

  const image = await demoImage(world);
  for (const environment of ['staging', 'production']) {
    await promoteAndMerge(world, spec, first.version, environment, image, step, log);
  }

  const objects = await step('render the staging overlay as Argo CD would apply it (kubectl kustomize)', () =>
    renderOverlayObjects(join(world.project, 'gitops', 'overlays', 'staging')),
  );
  for (const object of objects) {
    log(`    ${object.kind}/${(object.metadata as { name?: string } | undefined)?.name ?? '?'}`);
  }

  const second = await trainEvaluateRegister(world, spec, store, step, log, {
    title: 'train a second configuration (the linear model) and evaluate it against the production champion',
    trainer: 'linear',
  });
  versions.push(second);
  reports['second model report'] = second.report;

  const loop = await serveAndWatch(world, spec, store, options, step, async (month) => {
    const { trainPaths, testPath } = retrainingData(spec, month);
    log(`    retraining on ${trainPaths.map(monthOf).join(', ')}, judged on ${monthOf(testPath)}`);
    const retrained = await trainEvaluateRegister(world, withTest(spec, testPath), store, step, log, {
      title: `retrain ${spec.trainer.type} on newer months and evaluate it against the champion`,
      trainPaths,
    });
    versions.push(retrained);
    reports['retrained model report'] = retrained.report;
    if (retrained.version !== null) {
      await promoteAndMerge(world, spec, retrained.version, 'staging', image, step, log);
    }
    return retrained.version;
  });
  Object.assign(reports, loop.reports);
  return { versions, reports };
}

/** Window month M drifted: train on the four months up to M and judge on M+1, or, for the last month, on M. */
function retrainingData(spec: Spec, month: string): { trainPaths: string[]; testPath: string } {
  const all = [...new Set([...spec.data.train, ...spec.data.test, monthPath(spec, '2001-06')])].sort();
  const at = all.findIndex((path) => monthOf(path) === month);
  if (at + 1 < all.length)
    return { trainPaths: all.slice(Math.max(0, at - 3), at + 1), testPath: all[at + 1] };
  return { trainPaths: all.slice(Math.max(0, at - 4), at), testPath: all[at] };
}

function withTest(spec: Spec, testPath: string): Spec {
  return { ...spec, data: { ...spec.data, test: [testPath] } };
}

async function trainEvaluateRegister(
  world: DemoWorld,
  spec: Spec,
  store: ObjectStore,
  step: Step,
  log: (line: string) => void,
  options: { title: string; trainer?: 'gbdt' | 'linear'; trainPaths?: string[] },
): Promise<DemoVersion> {
  const trained = await step(options.title, () =>
    train({
      spec,
      root: world.project,
      store,
      trainer: options.trainer,
      trainPaths: options.trainPaths,
      onProgress: (message) => log(`    ${message}`),
    }),
  );
  const { record } = trained;
  log(`    run ${trained.runId}: test ${formatMetrics(record.metrics.test)}`);
  if (record.baseline) log(`    linear baseline: test ${formatMetrics(record.baseline.test)}`);

  const evaluation: EvaluationResult = await step(
    'evaluate it against the production champion, apply the gates',
    () => evaluate({ spec, runId: trained.runId, store, root: world.project }),
  );
  log(`    champion: ${evaluation.champion ? `v${evaluation.champion.version}` : 'none yet (day one)'}`);
  for (const gate of evaluation.gates) {
    log(`    gate ${gate.status.toUpperCase()}: ${gate.detail}`);
  }
  log(`    report: ${evaluation.reportPath}`);

  let version: number | null = null;
  if (evaluation.passed) {
    const registered = await step('register it: artifact to the store, ledger entry, git tag, push', () =>
      register({ model: spec.model, runId: trained.runId, store, repoDir: world.project }),
    );
    version = registered.version;
    log(`    ${registered.tag} -> ${registered.artifact.uri}`);
  } else {
    log('    not registered: a gate failed');
  }
  return {
    runId: trained.runId,
    trainer: record.trainer.type,
    testMetrics: record.metrics.test,
    passed: evaluation.passed,
    version,
    report: evaluation.reportPath,
  };
}

async function promoteAndMerge(
  world: DemoWorld,
  spec: Spec,
  version: number,
  environment: string,
  image: { name: string; digest: string },
  step: Step,
  log: (line: string) => void,
): Promise<void> {
  const result = await step(`promote v${version} to ${environment}: a branch and a pull request body`, () =>
    promote({
      repoDir: world.project,
      model: spec.model,
      version,
      environment,
      image,
      onProgress: (message) => log(`    ${message}`),
    }),
  );
  log(`    branch ${result.branch}; no GitHub token, so the pull request body is printed:`);
  for (const line of `${result.title}\n\n${result.body}`.split('\n').slice(0, 14)) log(`      | ${line}`);
  await step(`a reviewer merges the ${environment} promotion`, async () => {
    const git = simpleGit(world.project);
    await git.fetch('origin', result.branch);
    await git.merge([`origin/${result.branch}`, '--no-ff', '-m', `Merge ${result.title}`]);
    await git.push('origin', 'main');
  });
}

/**
 * No image registry runs here (promote resolves real digests from ECR in CI), so the demo pins a
 * stand-in digest derived from the project's first commit, shaped like the OCI digest CI would
 * push. Staging and production get the same one: production runs the image staging tested.
 */
async function demoImage(world: DemoWorld): Promise<{ name: string; digest: string }> {
  const head = (await simpleGit(world.project).raw(['rev-list', '--max-parents=0', 'HEAD'])).trim();
  return {
    name: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlship-serve',
    digest: `sha256:${createHash('sha256').update(`mlship-serve:${head}`).digest('hex')}`,
  };
}

const monthOf = (path: string) => /(\d{4}-\d{2})\.parquet$/.exec(path)?.[1] ?? path;
const monthPath = (spec: Spec, month: string) =>
  spec.data.test[0].replace(/\d{4}-\d{2}\.parquet$/, `${month}.parquet`);

function formatMetrics(metrics: Record<string, number>): string {
  return ['auc', 'log_loss', 'accuracy']
    .filter((name) => name in metrics)
    .map((name) => `${name} ${metrics[name].toFixed(4)}`)
    .join(', ');
}
