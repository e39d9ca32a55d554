import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import YAML from 'yaml';
import { loadSpec, type Spec } from '../config/spec.ts';
import { renderOverlayObjects } from '../promote/index.ts';
import { runDemoAction } from './actions.ts';
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
 * The model half of the demo, each step through its action's bundle: train on January-April,
 * evaluate, register version 1, promote it to staging and production through branches a reviewer
 * merges, let the gates judge a second configuration, then watch production and retrain on newer
 * months when the served model degrades.
 */
export async function runModelLifecycle(
  world: DemoWorld,
  options: DemoOptions,
  step: Step,
): Promise<{ versions: DemoVersion[]; reports: Record<string, string> }> {
  const { log } = options;
  const spec = await loadSpec(join(world.project, 'mlship.yaml'));
  const versions: DemoVersion[] = [];
  const reports: Record<string, string> = {};

  const first = await trainEvaluateRegister(world, spec, step, log, {
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
  log(
    `    ${objects.map((o) => `${o.kind}/${(o.metadata as { name?: string } | undefined)?.name}`).join(', ')}`,
  );

  const second = await trainEvaluateRegister(world, spec, step, log, {
    title: 'train a second configuration (the linear model) to challenge the production champion',
    trainer: 'linear',
  });
  versions.push(second);
  reports['second model report'] = second.report;

  const loop = await serveAndWatch(world, spec, options, step, async (month) => {
    const window = retrainingWindow(spec, month);
    await step(
      `move the training window in mlship.yaml: train on ${window.train.map(monthOf).join(', ')}, test on ${monthOf(window.test)}`,
      () => commitTrainingWindow(world, window),
    );
    const retrained = await trainEvaluateRegister(world, spec, step, log, {
      title: `retrain ${spec.trainer.type} on the newer months`,
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

async function trainEvaluateRegister(
  world: DemoWorld,
  spec: Spec,
  step: Step,
  log: (line: string) => void,
  options: { title: string; trainer?: 'gbdt' | 'linear' },
): Promise<DemoVersion> {
  const trained = await step(`${options.title} (actions/train)`, () =>
    runDemoAction('train', world.project, { trainer: options.trainer }, log),
  );
  const runId = trained.outputs['run-id'];
  const testMetrics = JSON.parse(trained.outputs.metrics) as Record<string, number>;
  log(`    run ${runId}: test ${formatMetrics(testMetrics)}`);

  const evaluated = await step(
    'evaluate it against the production champion and apply the gates (actions/evaluate)',
    () => runDemoAction('evaluate', world.project, { 'run-id': runId, 'fail-on-gate': false }, log),
  );
  const passed = evaluated.outputs.passed === 'true';
  const gates = JSON.parse(evaluated.outputs.gates || '[]') as Array<{ status: string; detail: string }>;
  const champion = evaluated.outputs['champion-version'];
  log(`    champion: ${champion ? `v${champion}` : 'none yet (day one)'}`);
  for (const gate of gates) log(`    gate ${gate.status.toUpperCase()}: ${gate.detail}`);

  let version: number | null = null;
  if (passed) {
    const registered = await step(
      'register it: artifact to the store, ledger entry, tag, push (actions/register)',
      () => runDemoAction('register', world.project, { 'run-id': runId }, log),
    );
    version = Number(registered.outputs.version);
    log(`    ${registered.outputs.tag} -> ${registered.outputs['artifact-uri']}`);
  } else {
    log('    not registered: a gate failed');
  }
  return {
    runId,
    trainer: options.trainer ?? spec.trainer.type,
    testMetrics,
    passed,
    version,
    report: evaluated.outputs['report-path'],
  };
}

async function promoteAndMerge(
  world: DemoWorld,
  spec: Spec,
  version: number,
  environment: string,
  image: string,
  step: Step,
  log: (line: string) => void,
): Promise<void> {
  const promoted = await step(
    `promote v${version} to ${environment}: a branch and a pull request (actions/promote)`,
    () => runDemoAction('promote', world.project, { model: spec.model, version, environment, image }, log),
  );
  const branch = promoted.outputs.branch;
  await step(`a reviewer merges ${branch}`, async () => {
    const git = simpleGit(world.project);
    await git.fetch('origin', branch);
    await git.merge([
      `origin/${branch}`,
      '--no-ff',
      '-m',
      `Merge ${branch}: ${spec.model} v${version} to ${environment}`,
    ]);
    await git.push('origin', 'main');
  });
}

/**
 * No image registry runs here (promote resolves real digests from ECR in CI), so the demo pins a
 * stand-in digest derived from the project's first commit, shaped like the OCI digest CI would
 * push. Staging and production get the same one: production runs the image staging tested.
 */
async function demoImage(world: DemoWorld): Promise<string> {
  const root = (await simpleGit(world.project).raw(['rev-list', '--max-parents=0', 'HEAD'])).trim();
  const digest = createHash('sha256').update(`mlship-serve:${root}`).digest('hex');
  return `111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlship-serve@sha256:${digest}`;
}

/** Window month M degraded: train on the four months up to M and test on M+1, or, for the last month, on M. */
function retrainingWindow(spec: Spec, month: string): { train: string[]; test: string } {
  const all = [...new Set([...spec.data.train, ...spec.data.test, monthPath(spec, '2001-06')])].sort();
  const at = all.findIndex((path) => monthOf(path) === month);
  if (at + 1 < all.length) return { train: all.slice(Math.max(0, at - 3), at + 1), test: all[at + 1] };
  return { train: all.slice(Math.max(0, at - 4), at), test: all[at] };
}

/** Retraining on newer data is a change to mlship.yaml, committed like any other. */
async function commitTrainingWindow(
  world: DemoWorld,
  window: { train: string[]; test: string },
): Promise<void> {
  const path = join(world.project, 'mlship.yaml');
  const doc = YAML.parseDocument(await readFile(path, 'utf8'));
  doc.setIn(['data', 'train'], doc.createNode(window.train));
  doc.setIn(['data', 'test'], doc.createNode([window.test]));
  await writeFile(path, doc.toString());
  const git = simpleGit(world.project);
  await git.add('mlship.yaml');
  await git.commit(`Retrain on ${window.train.map(monthOf).join(', ')}: the served model degraded`);
  await git.push('origin', 'main');
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
