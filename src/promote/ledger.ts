import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.ts';
import { type Ledger, type LedgerEntry, ledgerPath, ledgerSchema } from '../registry/ledger.ts';
import { parseYaml } from '../util/fs.ts';
import { validate } from '../util/validate.ts';

/** Reads `gitops/registry/<model>.yaml`, validated, with a fix that says how a model gets registered. */
export async function readLedgerFile(gitopsDir: string, model: string): Promise<Ledger> {
  const file = ledgerPath(gitopsDir, model);
  if (!existsSync(file)) {
    throw new UserError(`model "${model}" has no registered versions`, {
      file,
      fix: `register a version first (mlship register), or check the model name`,
    });
  }
  return validate(ledgerSchema, parseYaml(await readFile(file, 'utf8'), file), file);
}

/** The requested version, or the newest registered one. */
export function pickVersion(ledger: Ledger, version: number | undefined, file: string): LedgerEntry {
  if (ledger.versions.length === 0) {
    throw new UserError(`model "${ledger.model}" has no registered versions`, {
      file,
      fix: 'register a version first (mlship register)',
    });
  }
  if (version === undefined) return ledger.versions.reduce((a, b) => (b.version > a.version ? b : a));
  const entry = ledger.versions.find((v) => v.version === version);
  if (!entry) {
    throw new UserError(`model "${ledger.model}" has no version ${version}`, {
      file,
      field: 'version',
      fix: `pick one of: ${ledger.versions.map((v) => v.version).join(', ')}`,
    });
  }
  return entry;
}
