import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import YAML from 'yaml';
import { UserError } from '../errors.ts';

/** Writes through a temp file beside the target and renames it, so readers never see half a file. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function readTextFile(path: string, what: string, fix: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(`${what} not found`, { file: path, fix });
    }
    throw error;
  }
}

/** Parses YAML, turning syntax errors into a UserError that names the file and line. */
export function parseYaml(text: string, file: string): unknown {
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new UserError(`invalid YAML: ${first.message.split('\n')[0]}`, {
      file,
      fix: 'correct the YAML syntax at the line shown',
    });
  }
  return doc.toJS();
}

export function toYaml(value: unknown): string {
  return YAML.stringify(value, { lineWidth: 0 });
}
