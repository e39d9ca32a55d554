import type { ColumnBatch } from './contract.ts';

/**
 * A column batch as it crosses to an inference worker. Structured cloning an array of strings
 * costs per element on the HTTP thread (it showed as the largest item in its profile), so each
 * string column travels as one string plus a Uint32Array of lengths, and float columns as copies
 * whose buffers are transferred, not cloned. The worker does the splitting.
 */
export interface PackedBatch {
  rows: number;
  columns: Array<{ text: string; lengths: Uint32Array } | Float32Array>;
}

export function packBatch(batch: ColumnBatch): { packed: PackedBatch; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const columns = batch.columns.map((column) => {
    if (Array.isArray(column)) {
      const lengths = new Uint32Array(batch.rows);
      for (let r = 0; r < batch.rows; r++) lengths[r] = column[r].length;
      transfer.push(lengths.buffer);
      return { text: column.join(''), lengths };
    }
    // A copy: the caller keeps reading its own columns (drift, capture) after the run.
    const copy = column.slice(0, batch.rows);
    transfer.push(copy.buffer);
    return copy;
  });
  return { packed: { rows: batch.rows, columns }, transfer };
}

export function unpackBatch(packed: PackedBatch): ColumnBatch {
  const columns = packed.columns.map((column) => {
    if (column instanceof Float32Array) return column;
    const out = new Array<string>(packed.rows);
    let at = 0;
    for (let r = 0; r < packed.rows; r++) {
      const end = at + column.lengths[r];
      out[r] = column.text.slice(at, end);
      at = end;
    }
    return out;
  });
  return { rows: packed.rows, columns };
}
