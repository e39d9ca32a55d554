import type { Binning } from './binning.ts';

/**
 * Best split of one node from its (gradient, hessian) histogram, by the second-order gain
 * G_L^2/(H_L+lambda) + G_R^2/(H_R+lambda) - G^2/(H+lambda).
 * - numeric: every threshold between value bins, with missing values tried on either side;
 * - categorical (as LightGBM does): the categories present are sorted by G/(H + catSmooth) and
 *   the best prefix of that order goes left, at most `maxCatThreshold` categories on the smaller
 *   side; missing values again tried on either side.
 * When a node has no missing values, they go (at predict time) to the side with more hessian.
 */
export interface SplitChoice {
  gain: number;
  feature: number;
  /** numeric: bins <= thresholdBin go left. */
  thresholdBin: number;
  /** categorical: 1 for codes that go left (length: value bins). */
  leftCategories: Uint8Array | null;
  missingLeft: boolean;
  gradLeft: number;
  hessLeft: number;
  gradRight: number;
  hessRight: number;
}

export interface SplitSettings {
  lambda: number;
  minChildWeight: number;
  catSmooth: number;
  maxCatThreshold: number;
}

/** Scratch space for sorting categories, reused across nodes. */
export class SplitFinder {
  private readonly order: number[] = [];
  private readonly keys: Float64Array;

  constructor(
    private readonly binning: Binning,
    private readonly settings: SplitSettings,
  ) {
    this.keys = new Float64Array(Math.max(...binning.counts, 1));
  }

  best(hist: Float64Array, features: Int32Array, G: number, H: number): SplitChoice | null {
    let best: SplitChoice | null = null;
    for (let j = 0; j < features.length; j++) {
      const f = features[j];
      const choice =
        this.binning.features[f].kind === 'numeric'
          ? this.numeric(hist, f, G, H)
          : this.categorical(hist, f, G, H);
      if (choice && (best === null || choice.gain > best.gain)) best = choice;
    }
    return best;
  }

  private numeric(hist: Float64Array, f: number, G: number, H: number): SplitChoice | null {
    const { lambda, minChildWeight } = this.settings;
    const offset = this.binning.offsets[f] * 2;
    const valueBins = this.binning.features[f].valueBins;
    const gMissing = hist[offset + valueBins * 2];
    const hMissing = hist[offset + valueBins * 2 + 1];
    const hasMissing = hMissing > 0;
    const parent = (G * G) / (H + lambda);
    let bestGain = 0;
    let bestBin = -1;
    let bestMissingLeft = false;
    let gl = 0;
    let hl = 0;
    for (let b = 0; b < valueBins - 1; b++) {
      const hb = hist[offset + b * 2 + 1];
      gl += hist[offset + b * 2];
      hl += hb;
      if (hb === 0) continue; // the same split as the bin before
      // Missing values right.
      let hr = H - hl;
      if (hl >= minChildWeight && hr >= minChildWeight) {
        const gr = G - gl;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          bestBin = b;
          bestMissingLeft = false;
        }
      }
      if (!hasMissing) continue;
      // Missing values left.
      const hl2 = hl + hMissing;
      hr = H - hl2;
      if (hl2 >= minChildWeight && hr >= minChildWeight) {
        const gl2 = gl + gMissing;
        const gr = G - gl2;
        const gain = (gl2 * gl2) / (hl2 + lambda) + (gr * gr) / (hr + lambda) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          bestBin = b;
          bestMissingLeft = true;
        }
      }
    }
    if (bestBin < 0) return null;
    let gLeft = 0;
    let hLeft = 0;
    for (let b = 0; b <= bestBin; b++) {
      gLeft += hist[offset + b * 2];
      hLeft += hist[offset + b * 2 + 1];
    }
    if (bestMissingLeft) {
      gLeft += gMissing;
      hLeft += hMissing;
    }
    const missingLeft = hasMissing ? bestMissingLeft : hLeft >= H - hLeft;
    return {
      gain: bestGain,
      feature: f,
      thresholdBin: bestBin,
      leftCategories: null,
      missingLeft,
      gradLeft: gLeft,
      hessLeft: hLeft,
      gradRight: G - gLeft,
      hessRight: H - hLeft,
    };
  }

  private categorical(hist: Float64Array, f: number, G: number, H: number): SplitChoice | null {
    const { lambda, minChildWeight, catSmooth, maxCatThreshold } = this.settings;
    const offset = this.binning.offsets[f] * 2;
    const valueBins = this.binning.features[f].valueBins;
    const gMissing = hist[offset + valueBins * 2];
    const hMissing = hist[offset + valueBins * 2 + 1];
    const hasMissing = hMissing > 0;
    const order = this.order;
    const keys = this.keys;
    order.length = 0;
    for (let c = 0; c < valueBins; c++) {
      const h = hist[offset + c * 2 + 1];
      if (h > 0) {
        keys[c] = hist[offset + c * 2] / (h + catSmooth);
        order.push(c);
      }
    }
    const m = order.length;
    if (m + (hasMissing ? 1 : 0) < 2) return null;
    order.sort((a, b) => keys[a] - keys[b] || a - b);
    const parent = (G * G) / (H + lambda);
    let bestGain = 0;
    let bestCount = -1;
    let bestMissingLeft = false;
    let gl = 0;
    let hl = 0;
    // k = number of sorted categories on the left; k = 0 with missing left splits off missing.
    for (let k = 0; k < m; k++) {
      if (k > 0) {
        gl += hist[offset + order[k - 1] * 2];
        hl += hist[offset + order[k - 1] * 2 + 1];
        if (Math.min(k, m - k) > maxCatThreshold) continue;
        const hr = H - hl;
        if (hl >= minChildWeight && hr >= minChildWeight) {
          const gr = G - gl;
          const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
          if (gain > bestGain) {
            bestGain = gain;
            bestCount = k;
            bestMissingLeft = false;
          }
        }
      }
      if (!hasMissing) continue;
      const hl2 = hl + hMissing;
      const hr = H - hl2;
      if (hl2 >= minChildWeight && hr >= minChildWeight) {
        const gl2 = gl + gMissing;
        const gr = G - gl2;
        const gain = (gl2 * gl2) / (hl2 + lambda) + (gr * gr) / (hr + lambda) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          bestCount = k;
          bestMissingLeft = true;
        }
      }
    }
    if (bestCount < 0) return null;
    const leftCategories = new Uint8Array(valueBins);
    let gLeft = 0;
    let hLeft = 0;
    for (let k = 0; k < bestCount; k++) {
      const c = order[k];
      leftCategories[c] = 1;
      gLeft += hist[offset + c * 2];
      hLeft += hist[offset + c * 2 + 1];
    }
    if (bestMissingLeft) {
      gLeft += gMissing;
      hLeft += hMissing;
    }
    const missingLeft = hasMissing ? bestMissingLeft : hLeft >= H - hLeft;
    return {
      gain: bestGain,
      feature: f,
      thresholdBin: -1,
      leftCategories,
      missingLeft,
      gradLeft: gLeft,
      hessLeft: hLeft,
      gradRight: G - gLeft,
      hessRight: H - hLeft,
    };
  }
}
