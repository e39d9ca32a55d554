import { UserError } from '../errors.ts';
import type { Ledger, LedgerEntry } from '../registry/ledger.ts';
import { ledgerPath } from '../registry/ledger.ts';
import { readLedger } from '../registry/ledger-io.ts';

/** Reads `gitops/registry/<model>.yaml`, validated, with a fix that says how a model gets registered. */
export async function readLedgerFile(gitopsDir: string, model: string): Promise<Ledger> {
  const ledger = await readLedger(gitopsDir, model);
  if (ledger.versions.length === 0) {
    throw new UserError(`model "${model}" has no registered versions`, {
      file: ledgerPath(gitopsDir, model),
      fix: 'register a version first (mlship register), or check the model name',
    });
  }
  return ledger;
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
