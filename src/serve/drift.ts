import {
  binIndex,
  type CategoricalFeatureProfile,
  categoricalBins,
  type NumericFeatureProfile,
  type Profile,
  populationStabilityIndex,
} from '../profile/profile.ts';
import type { ColumnBatch, ModelContract } from './contract.ts';

/**
 * Live drift: for every feature (and the score), the bin counts of the last `window` served values,
 * compared with the reference profile's counts by population stability index. Bins are the
 * profile's own (numeric: `binIndex` over its edges, missing values left out as the reference
 * counts leave them out; categorical: `categoricalBins`, unknown categories in `__other__`), so
 * drift-check computes the same index over the same window. Updating is O(log bins) per value;
 * the index is computed only when scraped.
 */
class WindowedBins {
  private readonly ring: Int32Array;
  private readonly counts: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(
    private readonly reference: number[],
    window: number,
  ) {
    this.ring = new Int32Array(window);
    this.counts = new Float64Array(reference.length);
  }

  add(bin: number): void {
    if (this.filled === this.ring.length) this.counts[this.ring[this.next]]--;
    else this.filled++;
    this.ring[this.next] = bin;
    this.counts[bin]++;
    this.next = (this.next + 1) % this.ring.length;
  }

  get size(): number {
    return this.filled;
  }

  psi(): number {
    return populationStabilityIndex(this.reference, this.counts);
  }
}

interface FeatureTracker {
  name: string;
  column: number;
  bins: WindowedBins;
  binOf(value: string | number): number;
}

export class DriftTracker {
  private readonly features: FeatureTracker[] = [];
  private readonly score: WindowedBins;
  private readonly scoreEdges: number[];

  constructor(contract: ModelContract, profile: Profile, window: number) {
    contract.inputs.forEach((input, column) => {
      const feature = profile.features[input.name];
      if (!feature) return;
      if (feature.kind === 'numeric') {
        const edges = feature.edges;
        this.features.push({
          name: input.name,
          column,
          bins: new WindowedBins(feature.counts, window),
          binOf: (value) => (Number.isNaN(value as number) ? -1 : binIndex(edges, value as number)),
        });
      } else {
        const { keys, reference } = categoricalReference(feature);
        const index = new Map(keys.map((key, i) => [key, i]));
        const other = index.get('__other__')!;
        const missing = index.get('__missing__')!;
        this.features.push({
          name: input.name,
          column,
          bins: new WindowedBins(reference, window),
          binOf: (value) => (value === '' ? missing : (index.get(value as string) ?? other)),
        });
      }
    });
    this.score = new WindowedBins(profile.score.counts, window);
    this.scoreEdges = profile.score.edges;
  }

  observe(batch: ColumnBatch, scores: ArrayLike<number>, offset: number): void {
    for (const feature of this.features) {
      const column = batch.columns[feature.column];
      for (let r = 0; r < batch.rows; r++) {
        const bin = feature.binOf(column[r]);
        if (bin >= 0) feature.bins.add(bin);
      }
    }
    for (let r = 0; r < batch.rows; r++) {
      const score = scores[offset + r];
      if (!Number.isNaN(score)) this.score.add(binIndex(this.scoreEdges, score));
    }
  }

  /** PSI per feature over the current window (0 while the window is empty). */
  featurePsi(): Array<{ feature: string; psi: number; rows: number }> {
    return this.features.map((f) => ({ feature: f.name, psi: f.bins.psi(), rows: f.bins.size }));
  }

  scorePsi(): number {
    return this.score.psi();
  }
}

function categoricalReference(profile: CategoricalFeatureProfile): { keys: string[]; reference: number[] } {
  const keys = categoricalBins(profile);
  const reference = keys.map((key) =>
    key === '__other__' ? profile.other : key === '__missing__' ? profile.missing : profile.categories[key],
  );
  return { keys, reference };
}

export type { NumericFeatureProfile };
