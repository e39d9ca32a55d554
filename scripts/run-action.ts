/**
 * Runs a JavaScript action's committed bundle the way a GitHub runner does, on this machine:
 * `node <action>/<runs.main>` in the workspace, inputs as INPUT_<NAME> (action.yml defaults applied),
 * fresh GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_ENV / GITHUB_PATH / GITHUB_STATE files, an event
 * payload, RUNNER_TEMP and the other GITHUB_* variables; then reads the files back like the runner
 * (including the `name<<DELIMITER` heredoc form) and collects `::error::`-style annotations.
 *
 * Library:  const result = await runAction({ action: 'train', workspace, inputs: { spec: 'mlship.yaml' } });
 * CLI:      npx tsx scripts/run-action.ts train --workspace . --input spec=mlship.yaml [--json]
 *
 * Knows nothing of mlship's core: it is the runner's side of the contract, so the demo and tests run
 * exactly what GitHub runs.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';

const repoRoot = resolve(import.meta.dirname, '..');

export interface RunActionOptions {
  /** An action of this repository (`train` = actions/train) or a path to an action directory. */
  action: string;
  /** GITHUB_WORKSPACE and the working directory (default: the current directory). */
  workspace?: string;
  /** Input values by their action.yml names; missing ones get action.yml defaults, like the runner. */
  inputs?: Record<string, string | number | boolean | undefined>;
  /** Extra environment (e.g. AWS_* for an S3 endpoint). The runner's variables below win over these. */
  env?: Record<string, string | undefined>;
  /** Starts from process.env when true (default false: only PATH, HOME and the runner's variables). */
  inheritEnv?: boolean;
  /** What `github.*` says: repository (owner/name), sha, ref, event name and payload, token, API URL. */
  github?: {
    repository?: string;
    sha?: string;
    ref?: string;
    eventName?: string;
    event?: unknown;
    token?: string;
    apiUrl?: string;
    serverUrl?: string;
    actor?: string;
    runId?: number;
    job?: string;
  };
  /** RUNNER_TEMP (default: a fresh temporary directory, removed afterwards unless `keepTemp`). */
  runnerTemp?: string;
  keepTemp?: boolean;
  /** Kill the action after this long (default 10 minutes), like a step's timeout-minutes. */
  timeoutMs?: number;
  /**
   * Print the action's stdout/stderr as it runs, or hand each line to a function (the demo indents
   * them under its steps); captured either way.
   */
  stream?: boolean | ((line: string) => void);
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  properties: Record<string, string>;
}

export interface RunActionResult {
  exitCode: number;
  /** Outputs written to GITHUB_OUTPUT (and the legacy `::set-output` command). */
  outputs: Record<string, string>;
  /** The job summary markdown appended to GITHUB_STEP_SUMMARY. */
  summary: string;
  /** Variables exported through GITHUB_ENV (core.exportVariable). */
  exportedEnv: Record<string, string>;
  /** Directories added through GITHUB_PATH. */
  addedPath: string[];
  annotations: Annotation[];
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

interface ActionManifest {
  name?: string;
  inputs?: Record<string, { default?: unknown; required?: unknown } | null>;
  runs?: { using?: string; main?: string };
}

export async function runAction(options: RunActionOptions): Promise<RunActionResult> {
  const actionDir = resolveActionDir(options.action);
  const manifest = parse(await readFile(join(actionDir, 'action.yml'), 'utf8')) as ActionManifest;
  const using = manifest.runs?.using ?? '';
  if (!/^node\d+$/.test(using) || !manifest.runs?.main) {
    throw new Error(`${actionDir}/action.yml: runs.using must be nodeNN with runs.main (got "${using}")`);
  }
  const main = join(actionDir, manifest.runs.main);
  if (!existsSync(main)) throw new Error(`${main} does not exist: build the bundle (npm run build:actions)`);

  const workspace = resolve(options.workspace ?? process.cwd());
  const ownTemp = options.runnerTemp === undefined;
  const runnerTemp = options.runnerTemp ?? (await mkdtemp(join(tmpdir(), 'runner-temp-')));
  const files = join(runnerTemp, `_runner_file_commands_${randomUUID()}`);
  await mkdir(files, { recursive: true });
  const file = (name: string) => join(files, `${name}_${randomUUID()}`);
  const outputFile = file('set_output');
  const summaryFile = file('step_summary');
  const envFile = file('set_env');
  const pathFile = file('add_path');
  const stateFile = file('save_state');
  const eventFile = file('event');
  for (const path of [outputFile, summaryFile, envFile, pathFile, stateFile]) await writeFile(path, '');
  const gh = options.github ?? {};
  await writeFile(eventFile, JSON.stringify(gh.event ?? {}));

  const context: Record<string, string> = {
    'github.token': gh.token ?? '',
    'github.repository': gh.repository ?? 'local/mlship',
    'github.repository_owner': (gh.repository ?? 'local/mlship').split('/')[0],
    'github.workspace': workspace,
    'github.sha': gh.sha ?? '0'.repeat(40),
    'github.ref': gh.ref ?? 'refs/heads/main',
    'github.event_name': gh.eventName ?? 'workflow_dispatch',
    'github.server_url': gh.serverUrl ?? 'https://github.com',
    'github.api_url': gh.apiUrl ?? 'https://api.github.com',
    'github.actor': gh.actor ?? 'mlship-local',
    'github.run_id': String(gh.runId ?? 1),
    'runner.temp': runnerTemp,
    'runner.os': 'Linux',
  };

  const inputEnv: Record<string, string> = {};
  const given = options.inputs ?? {};
  for (const name of Object.keys(given)) {
    if (!manifest.inputs || !(name in manifest.inputs)) {
      // The runner only warns ("Unexpected input"); a typo here would silently do nothing, so refuse.
      throw new Error(`${manifest.name ?? actionDir} has no input "${name}"`);
    }
  }
  for (const [name, spec] of Object.entries(manifest.inputs ?? {})) {
    const value = given[name];
    if (value !== undefined) inputEnv[inputVariable(name)] = String(value);
    else if (spec?.default !== undefined)
      inputEnv[inputVariable(name)] = evaluateDefault(String(spec.default), context, gh.event ?? {});
  }

  const base: Record<string, string | undefined> = options.inheritEnv
    ? { ...process.env }
    : { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, LANG: process.env.LANG };
  const env: Record<string, string | undefined> = {
    ...base,
    ...options.env,
    ...inputEnv,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_ENV: envFile,
    GITHUB_PATH: pathFile,
    GITHUB_STATE: stateFile,
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_EVENT_NAME: context['github.event_name'],
    GITHUB_REPOSITORY: context['github.repository'],
    GITHUB_REPOSITORY_OWNER: context['github.repository_owner'],
    GITHUB_SHA: context['github.sha'],
    GITHUB_REF: context['github.ref'],
    GITHUB_REF_NAME: context['github.ref'].replace(/^refs\/(heads|tags)\//, ''),
    GITHUB_SERVER_URL: context['github.server_url'],
    GITHUB_API_URL: context['github.api_url'],
    GITHUB_GRAPHQL_URL: `${context['github.api_url']}/graphql`,
    GITHUB_ACTOR: context['github.actor'],
    GITHUB_RUN_ID: context['github.run_id'],
    GITHUB_RUN_NUMBER: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: gh.job ?? 'local',
    GITHUB_ACTION: manifest.name ?? 'action',
    GITHUB_WORKFLOW: 'local',
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: join(runnerTemp, '_tool'),
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: process.arch === 'arm64' ? 'ARM64' : 'X64',
    RUNNER_NAME: 'mlship-local',
    RUNNER_ENVIRONMENT: 'self-hosted',
  };

  try {
    const run = await spawnNode(main, workspace, env, options.timeoutMs ?? 600_000, options.stream ?? false);
    const outputs = parseFileCommand(await readFile(outputFile, 'utf8'), 'GITHUB_OUTPUT');
    const annotations: Annotation[] = [];
    for (const line of run.stdout.split(/\r?\n/)) {
      const command = parseWorkflowCommand(line);
      if (!command) continue;
      if (command.name === 'set-output' && command.properties.name)
        outputs[command.properties.name] = command.message;
      if (command.name === 'error' || command.name === 'warning' || command.name === 'notice') {
        annotations.push({ level: command.name, message: command.message, properties: command.properties });
      }
    }
    return {
      exitCode: run.exitCode,
      outputs,
      summary: await readFile(summaryFile, 'utf8'),
      exportedEnv: parseFileCommand(await readFile(envFile, 'utf8'), 'GITHUB_ENV'),
      addedPath: (await readFile(pathFile, 'utf8')).split(/\r?\n/).filter(Boolean),
      annotations,
      stdout: run.stdout,
      stderr: run.stderr,
      timedOut: run.timedOut,
    };
  } finally {
    if (ownTemp && !options.keepTemp) await rm(runnerTemp, { recursive: true, force: true });
    else await rm(files, { recursive: true, force: true });
  }
}

function resolveActionDir(action: string): string {
  if (isAbsolute(action) || action.startsWith('.')) return resolve(action);
  return join(repoRoot, 'actions', action);
}

/** The runner's name for an input's variable: INPUT_ + upper case, spaces to underscores (dashes kept). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/**
 * Evaluates the `${{ github.x }}` / `${{ runner.x }}` defaults actions commonly declare, and
 * `${{ github.event.a.b }}` from the event payload: a property the event lacks is '' on GitHub too
 * (e.g. `github.event.pull_request.number` outside pull requests).
 */
function evaluateDefault(value: string, context: Record<string, string>, event: unknown): string {
  return value.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_all, expression: string) => {
    if (expression in context) return context[expression];
    if (/^github\.event(\.[A-Za-z_][\w-]*)+$/.test(expression)) {
      let at: unknown = event;
      for (const key of expression.split('.').slice(2)) at = (at as Record<string, unknown> | null)?.[key];
      return at === undefined || at === null ? '' : String(at);
    }
    throw new Error(
      `cannot evaluate default \${{ ${expression} }} outside GitHub; pass the input explicitly`,
    );
  });
}

/**
 * Parses a GITHUB_OUTPUT / GITHUB_ENV file as the runner does: `name=value` lines, or
 * `name<<DELIMITER` followed by lines up to a line that is exactly DELIMITER.
 */
export function parseFileCommand(text: string, what = 'file command'): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      const name = line.slice(0, equals);
      if (!name) throw new Error(`${what}: empty name in line ${i + 1}`);
      out[name] = line.slice(equals + 1);
      continue;
    }
    if (heredoc <= 0) throw new Error(`${what}: line ${i + 1} is neither name=value nor name<<DELIMITER`);
    const name = line.slice(0, heredoc);
    const delimiter = line.slice(heredoc + 2);
    if (!delimiter) throw new Error(`${what}: empty delimiter for ${name}`);
    const value: string[] = [];
    let closed = false;
    for (i++; i < lines.length; i++) {
      if (lines[i] === delimiter) {
        closed = true;
        break;
      }
      value.push(lines[i]);
    }
    if (!closed) throw new Error(`${what}: delimiter ${delimiter} for ${name} is never closed`);
    out[name] = value.join('\n');
  }
  return out;
}

/** `::name key=value,key=value::message` with the runner's escapes (%25 %0D %0A, and %3A %2C in properties). */
function parseWorkflowCommand(
  line: string,
): { name: string; properties: Record<string, string>; message: string } | undefined {
  const match = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line.trim());
  if (!match) return undefined;
  const decodeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  const properties: Record<string, string> = {};
  for (const pair of (match[2] ?? '').split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at > 0)
      properties[pair.slice(0, at)] = decodeData(pair.slice(at + 1))
        .replace(/%3A/g, ':')
        .replace(/%2C/g, ',');
  }
  return { name: match[1], properties, message: decodeData(match[3]) };
}

function spawnNode(
  main: string,
  cwd: string,
  env: Record<string, string | undefined>,
  timeoutMs: number,
  stream: boolean | ((line: string) => void),
): Promise<{ exitCode: number; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [main], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const forward = (out: NodeJS.WriteStream) => {
      if (typeof stream !== 'function') return (chunk: Buffer) => stream && out.write(chunk);
      let partial = '';
      return (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) stream(line);
      };
    };
    const toStdout = forward(process.stdout);
    const toStderr = forward(process.stderr);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      toStdout(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      toStderr(chunk);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
      });
    });
  });
}

async function cli(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (!action || action === '--help') {
    console.error(
      'usage: tsx scripts/run-action.ts <action|path> [--workspace dir] [--input name=value]... [--json]',
    );
    return 2;
  }
  const inputs: Record<string, string> = {};
  let workspace = process.cwd();
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--json') json = true;
    else if (rest[i] === '--workspace') workspace = rest[++i];
    else if (rest[i] === '--input') {
      const pair = rest[++i] ?? '';
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`--input wants name=value, got "${pair}"`);
      inputs[pair.slice(0, at)] = pair.slice(at + 1);
    } else throw new Error(`unknown argument ${rest[i]}`);
  }
  const result = await runAction({
    action,
    workspace,
    inputs,
    inheritEnv: true,
    stream: !json,
    github: {
      token: process.env.GITHUB_TOKEN,
      repository: process.env.GITHUB_REPOSITORY,
      apiUrl: process.env.GITHUB_API_URL,
    },
  });
  if (json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`\nexit code ${result.exitCode}`);
    for (const [name, value] of Object.entries(result.outputs)) console.log(`output ${name}=${value}`);
    if (result.summary) console.log(`\n--- job summary ---\n${result.summary}`);
  }
  return result.exitCode;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  cli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error((error as Error).message);
      process.exitCode = 2;
    },
  );
}
