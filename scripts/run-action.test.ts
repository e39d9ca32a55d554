import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub } from '../test/support/fake-github.ts';
import { inputVariable, parseFileCommand, runAction } from './run-action.ts';

// @actions/core 3 is ESM-only (no `require` export) and must resolve from this repository, not from
// the temp action directory: point at its entry file.
const coreUrl = pathToFileURL(
  join(import.meta.dirname, '..', 'node_modules', '@actions', 'core', 'lib', 'core.js'),
).href;

const actionYml = `name: probe
description: Writes outputs, a summary and annotations with @actions/core, like a real action.
inputs:
  run-id:
    description: dashed name
    required: true
  model name:
    description: spaced name
    default: flights
  token:
    description: defaults to the workflow token
    default: \${{ github.token }}
  fail:
    description: fail when "true"
    default: 'false'
  pr:
    description: from the event payload, empty when the event has none
    default: \${{ github.event.pull_request.number }}
outputs:
  echo:
    description: x
runs:
  using: node20
  main: dist/index.js
`;

// CommonJS like an ncc bundle; imports the ESM core dynamically.
const bundle = `(async () => {
  const core = await import(${JSON.stringify(coreUrl)});
  const fs = await import('node:fs');
  core.setOutput('echo', core.getInput('run-id', { required: true }));
  core.setOutput('model', core.getInput('model name'));
  core.setOutput('token', core.getInput('token'));
  core.setOutput('pr', core.getInput('pr'));
  core.setOutput('multi', 'line one\\nline=two\\n<<not a delimiter');
  core.setOutput('cwd', process.cwd());
  core.setOutput('event', JSON.parse(fs.readFileSync(process.env.GITHUB_EVENT_PATH, 'utf8')).action ?? '');
  core.setOutput('temp', process.env.RUNNER_TEMP);
  core.exportVariable('EXPORTED', 'yes');
  core.addPath('/opt/probe/bin');
  core.warning('careful, 100%', { file: 'mlship.yaml', startLine: 3 });
  await core.summary.addHeading('Probe').addRaw('all good').write();
  if (core.getInput('fail') === 'true') core.setFailed('asked to fail');
})();
`;

describe('runAction', () => {
  let dir: string;
  let actionDir: string;
  let workspace: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'run-action-'));
    actionDir = join(dir, 'probe');
    workspace = join(dir, 'workspace');
    await mkdir(join(actionDir, 'dist'), { recursive: true });
    await mkdir(workspace);
    await writeFile(join(actionDir, 'action.yml'), actionYml);
    await writeFile(join(actionDir, 'dist', 'index.js'), bundle);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes inputs as INPUT_* with action.yml defaults and reads outputs, summary, env, path and annotations', async () => {
    const result = await runAction({
      action: actionDir,
      workspace,
      inputs: { 'run-id': 'run-42' },
      github: { token: 'ghs_test', event: { action: 'opened' }, eventName: 'pull_request' },
    });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({
      echo: 'run-42',
      model: 'flights',
      token: 'ghs_test',
      multi: 'line one\nline=two\n<<not a delimiter',
      cwd: workspace,
      event: 'opened',
      pr: '',
    });
    expect(result.summary).toContain('<h1>Probe</h1>');
    expect(result.summary).toContain('all good');
    expect(result.exportedEnv).toEqual({ EXPORTED: 'yes' });
    expect(result.addedPath).toEqual(['/opt/probe/bin']);
    expect(result.annotations).toEqual([
      { level: 'warning', message: 'careful, 100%', properties: { file: 'mlship.yaml', line: '3' } },
    ]);
  });

  it('reports failure through the exit code, and removes its RUNNER_TEMP', async () => {
    const result = await runAction({ action: actionDir, workspace, inputs: { 'run-id': 'x', fail: true } });
    expect(result.exitCode).toBe(1);
    expect(result.annotations.map((a) => [a.level, a.message])).toContainEqual(['error', 'asked to fail']);
    expect(result.outputs.temp).toMatch(/runner-temp-/);
    expect(existsSync(result.outputs.temp)).toBe(false);
    const missing = await runAction({ action: actionDir, workspace, inputs: {} });
    expect(missing.exitCode).toBe(1);
    // The probe does not catch: Node reports the rejection and exits 1, as on a runner.
    expect(missing.stderr).toContain('Input required and not supplied: run-id');
  });

  it('evaluates github.event defaults from the event payload, as the runner does', async () => {
    const result = await runAction({
      action: actionDir,
      workspace,
      inputs: { 'run-id': 'run-7' },
      github: { event: { pull_request: { number: 7 } }, eventName: 'pull_request' },
    });
    expect(result.outputs.pr).toBe('7');
  });

  it('refuses inputs the action does not declare', async () => {
    await expect(runAction({ action: actionDir, workspace, inputs: { runid: 'typo' } })).rejects.toThrow(
      /has no input "runid"/,
    );
  });
});

describe('runAction with GitHub: the API URL reaches the action like on a runner', () => {
  it('an action using @actions/github talks to the fake GitHub through GITHUB_API_URL', async () => {
    const gh = await startFakeGitHub({ owner: 'acme', repo: 'flights' });
    const dir = await mkdtemp(join(tmpdir(), 'run-action-gh-'));
    try {
      const githubUrl = pathToFileURL(
        join(import.meta.dirname, '..', 'node_modules', '@actions', 'github', 'lib', 'github.js'),
      ).href;
      await mkdir(join(dir, 'dist'));
      await writeFile(
        join(dir, 'action.yml'),
        `name: gh-probe\ndescription: opens a pull request\ninputs:\n  token:\n    description: t\n    default: \${{ github.token }}\nruns:\n  using: node20\n  main: dist/index.js\n`,
      );
      await writeFile(
        join(dir, 'dist', 'index.js'),
        `(async () => {
          const core = await import(${JSON.stringify(coreUrl)});
          const { getOctokit, context } = await import(${JSON.stringify(githubUrl)});
          const octokit = getOctokit(core.getInput('token'));
          const pull = await octokit.rest.pulls.create({ ...context.repo, title: 'from an action', head: 'x', base: 'main' });
          core.setOutput('number', pull.data.number);
        })().catch((e) => { console.log('::error::' + e.message); process.exitCode = 1; });`,
      );
      const result = await runAction({
        action: dir,
        workspace: dir,
        github: { token: 'ghs_test', apiUrl: gh.url, repository: 'acme/flights' },
      });
      expect(result.annotations).toEqual([]);
      expect(result.outputs.number).toBe('1');
      expect(gh.state.issues[0].title).toBe('from an action');
      expect(gh.invalidRequests).toEqual([]);
    } finally {
      await gh.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('file commands and input names', () => {
  it('names inputs like the runner', () => {
    expect(inputVariable('run-id')).toBe('INPUT_RUN-ID');
    expect(inputVariable('model name')).toBe('INPUT_MODEL_NAME');
  });

  it('parses name=value and heredoc blocks, and refuses unclosed ones', () => {
    expect(parseFileCommand('a=1\nb=x=y\n\nc<<EOF\nl1\n\nl3\nEOF\nd<<=\nv\n=\n')).toEqual({
      a: '1',
      b: 'x=y',
      c: 'l1\n\nl3',
      d: 'v',
    });
    expect(() => parseFileCommand('c<<EOF\nnever closed\n')).toThrow(/never closed/);
    expect(() => parseFileCommand('junk\n')).toThrow(/neither/);
  });
});
