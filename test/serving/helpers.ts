import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SERVICE_OPTIONS, InferenceService, type ServiceOptions } from '../../src/serve/service.ts';

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'mlship-serve-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface CollectedLog {
  lines: Array<{ level: string; message: string; object: object }>;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export function collectingLog(): CollectedLog {
  const lines: CollectedLog['lines'] = [];
  return {
    lines,
    info: (object, message) => lines.push({ level: 'info', message, object }),
    warn: (object, message) => lines.push({ level: 'warn', message, object }),
    error: (object, message) => lines.push({ level: 'error', message, object }),
  };
}

export function serviceWith(
  manifestPath: string,
  remote: string | undefined,
  overrides: Partial<ServiceOptions> = {},
) {
  return new InferenceService({
    ...DEFAULT_SERVICE_OPTIONS,
    manifestPath,
    remote,
    log: collectingLog(),
    ...overrides,
  });
}
