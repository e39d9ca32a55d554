/**
 * Loads the repository's workflows and action manifests for the validation tests: parsed by GitHub's
 * own parser (@actions/workflow-parser), and as plain YAML for the policy checks the parser does not
 * make (pinning, permissions, concurrency, inputs of the actions a step uses).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { parse } from 'yaml';

export const root = join(import.meta.dirname, '..', '..');
export const workflowDir = join(root, '.github', 'workflows');

type Yaml = Record<string, unknown>;

export interface WorkflowFile {
  /** File name, e.g. ci.yml. */
  file: string;
  /** Repository-relative path. */
  path: string;
  text: string;
  doc: Yaml;
}

export interface ActionFile {
  name: string;
  path: string;
  text: string;
  doc: Yaml;
}

export function workflowFiles(): WorkflowFile[] {
  if (!existsSync(workflowDir)) return [];
  return readdirSync(workflowDir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .map((file) => {
      const path = `.github/workflows/${file}`;
      const text = readFileSync(join(root, path), 'utf8');
      return { file, path, text, doc: parse(text) as Yaml };
    });
}

export function actionFiles(): ActionFile[] {
  const dir = join(root, 'actions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'action.yml')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const path = `actions/${name}/action.yml`;
      const text = readFileSync(join(root, path), 'utf8');
      return { name, path, text, doc: parse(text) as Yaml };
    });
}

/** Errors from GitHub's workflow parser, including the reusable workflows a job calls (read locally). */
export async function workflowParserErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (!parsed.value) return errors.length > 0 ? errors : ['the parser returned no workflow'];
  const template = await convertWorkflowTemplate(
    parsed.context,
    parsed.value,
    {
      async getFileContent(ref) {
        if ('owner' in ref)
          throw new Error(`remote reusable workflow ${ref.owner}/${ref.repository} not checked offline`);
        return { name: ref.path, content: readFileSync(join(root, ref.path), 'utf8') };
      },
    },
    { fetchReusableWorkflowDepth: 1 },
  );
  return [
    ...new Set([
      ...errors,
      ...parsed.context.errors.getErrors().map((e) => e.message),
      ...(template.errors ?? []).map((e) => e.Message),
    ]),
  ];
}

/** Errors from GitHub's action.yml parser. */
export function actionParserErrors(name: string, content: string): string[] {
  const parsed = parseAction({ name, content }, new NoOperationTraceWriter());
  return parsed.context.errors.getErrors().map((e) => e.message);
}

export interface StepRef {
  workflow: string;
  job: string;
  step: number;
  uses: string;
  with: Record<string, unknown>;
}

export interface JobRef {
  workflow: WorkflowFile;
  id: string;
  job: Yaml;
}

export function jobsOf(workflow: WorkflowFile): JobRef[] {
  const jobs = (workflow.doc.jobs ?? {}) as Record<string, Yaml>;
  return Object.entries(jobs).map(([id, job]) => ({ workflow, id, job }));
}

export function stepsUsing(workflows: WorkflowFile[]): StepRef[] {
  const out: StepRef[] = [];
  for (const workflow of workflows) {
    for (const { id, job } of jobsOf(workflow)) {
      ((job.steps ?? []) as Yaml[]).forEach((step, index) => {
        if (typeof step.uses === 'string') {
          out.push({
            workflow: workflow.file,
            job: id,
            step: index,
            uses: step.uses,
            with: (step.with ?? {}) as Record<string, unknown>,
          });
        }
      });
    }
  }
  return out;
}

/** `uses:` lines with their trailing comment, read from the text (YAML parsers drop comments). */
export function usesLines(text: string): { uses: string; comment?: string; line: number }[] {
  const out: { uses: string; comment?: string; line: number }[] = [];
  text.split('\n').forEach((line, index) => {
    const match = /^\s*(?:-\s+)?uses:\s*['"]?([^\s'"#]+)['"]?\s*(?:#\s*(\S+))?/.exec(line);
    if (match) out.push({ uses: match[1], comment: match[2], line: index + 1 });
  });
  return out;
}

/** The local action a `uses:` names (`./actions/x` here, `./.mlship-actions/actions/x` in reusable workflows). */
export function localActionName(uses: string): string | undefined {
  return /^\.\/(?:\.mlship-actions\/)?actions\/([a-z0-9-]+)$/.exec(uses)?.[1];
}

export interface ActionInputSpec {
  inputs: string[];
  required: string[];
}

/** Inputs of an action.yml: all, and required ones without a default (which a step must give). */
export function actionInputs(doc: Yaml): ActionInputSpec {
  const inputs = (doc.inputs ?? {}) as Record<string, Yaml | null>;
  return {
    inputs: Object.keys(inputs),
    required: Object.entries(inputs)
      .filter(
        ([, input]) =>
          (input?.required === true || input?.required === 'true') && input?.default === undefined,
      )
      .map(([name]) => name),
  };
}
