import type { Ledger, LedgerEntry } from '../../src/registry/ledger.ts';

/** A registry ledger with `count` versions of the flights model, metrics improving each time. */
export function flightsLedger(count: number): Ledger {
  const versions: LedgerEntry[] = [];
  for (let version = 1; version <= count; version++) {
    const sha = String(version).repeat(64).slice(0, 64);
    versions.push({
      version,
      createdAt: `2026-01-0${version}T12:00:00Z`,
      runId: `run-${version}`,
      artifact: {
        uri: `s3://mlship-store/demo/models/flights/${sha}.onnx`,
        sha256: sha,
        bytes: 1000 * version,
      },
      profile: {
        uri: `s3://mlship-store/demo/models/flights/${sha}.profile.json`,
        sha256: sha.replace(/./g, 'e'),
      },
      metrics: { auc: 0.7 + version / 100, log_loss: 0.45 - version / 100 },
      lineage: {
        commit: null,
        data: { 'data/flights': `${'a'.repeat(32)}.dir` },
        params: { trees: 100 * version },
      },
      signature: {
        task: 'binary',
        inputs: [
          { name: 'origin', kind: 'categorical', type: 'string' },
          { name: 'distance', kind: 'numeric', type: 'float' },
        ],
        outputs: [
          { name: 'label', type: 'int64', shape: [-1] },
          { name: 'probabilities', type: 'float', shape: [-1, 2] },
        ],
        classes: [0, 1],
      },
    });
  }
  return { schema: 1, model: 'flights', versions };
}
