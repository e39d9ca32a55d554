import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseYaml, toYaml, writeFileAtomic } from '../util/fs.ts';
import { validate } from '../util/validate.ts';
import { type Ledger, type LedgerEntry, ledgerPath, ledgerSchema } from './ledger.ts';

/** Reads and validates `gitops/registry/<model>.yaml`; an absent ledger is an empty one. */
export async function readLedger(gitopsDir: string, model: string): Promise<Ledger> {
  const file = ledgerPath(gitopsDir, model);
  if (!existsSync(file)) return { schema: 1, model, versions: [] };
  const ledger = validate(ledgerSchema, parseYaml(await readFile(file, 'utf8'), file), file);
  if (ledger.model !== model) {
    throw new Error(`${file} is the ledger of "${ledger.model}", not "${model}"`);
  }
  return ledger;
}

export async function writeLedger(gitopsDir: string, ledger: Ledger): Promise<string> {
  const file = ledgerPath(gitopsDir, ledger.model);
  const header =
    '# mlship model registry: append-only, one entry per registered version (written by `mlship register`).\n' +
    "# A version's stage is not stored here: see which gitops/overlays/<env>/model.yaml points at it.\n";
  await writeFileAtomic(file, header + toYaml(validate(ledgerSchema, ledger, file)));
  return file;
}

export function nextVersion(ledger: Ledger): number {
  return ledger.versions.reduce((max, v) => Math.max(max, v.version), 0) + 1;
}

export function findVersion(ledger: Ledger, version: number): LedgerEntry | undefined {
  return ledger.versions.find((v) => v.version === version);
}
