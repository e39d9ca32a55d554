import type { Column, ColumnarDataset } from '../dataset/columnar.ts';

/**
 * Row slices of a columnar data set without copying: typed-array views share the buffers and the
 * categorical dictionaries, so splitting 2 million rows costs nothing.
 */
export function sliceDataset(dataset: ColumnarDataset, start: number, end: number): ColumnarDataset {
  if (start < 0 || end > dataset.numRows || start > end) {
    throw new Error(`slice [${start}, ${end}) is outside 0..${dataset.numRows}`);
  }
  const columns: Record<string, Column> = {};
  for (const [name, column] of Object.entries(dataset.columns)) {
    columns[name] =
      column.kind === 'numeric'
        ? { kind: 'numeric', values: column.values.subarray(start, end) }
        : { kind: 'categorical', codes: column.codes.subarray(start, end), dictionary: column.dictionary };
  }
  return { numRows: end - start, columns };
}

export interface TimeOrderedSplit {
  /** Rows [0, trainRows) train; rows [trainRows, numRows) validate. */
  trainRows: number;
  validationRows: number;
  /** How the boundary was chosen, for the run record and messages. */
  rule: 'last-file' | 'last-fraction';
}

/**
 * The validation split of time-ordered data: the newest rows, never a random sample, so validation
 * scores tell how a model does on the future. With several training files (months) the last file is
 * the validation split; with one file, its last `fraction` of rows.
 */
export function timeOrderedSplit(rowsPerFile: number[], fraction = 0.2): TimeOrderedSplit {
  const numRows = rowsPerFile.reduce((sum, rows) => sum + rows, 0);
  if (rowsPerFile.length > 1 && rowsPerFile[rowsPerFile.length - 1] > 0) {
    const validationRows = rowsPerFile[rowsPerFile.length - 1];
    return { trainRows: numRows - validationRows, validationRows, rule: 'last-file' };
  }
  const validationRows = Math.min(numRows - 1, Math.max(1, Math.round(numRows * fraction)));
  return { trainRows: numRows - validationRows, validationRows, rule: 'last-fraction' };
}
