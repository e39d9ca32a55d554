/**
 * A data set held column by column in typed arrays: numeric columns as Float64Array (NaN is
 * missing), categorical columns dictionary-encoded (codes index `dictionary`, -1 is missing).
 * Three million rows of the flights data take tens of megabytes this way, not gigabytes of objects.
 */
export interface NumericColumn {
  kind: 'numeric';
  values: Float64Array;
}

export interface CategoricalColumn {
  kind: 'categorical';
  codes: Int32Array;
  dictionary: string[];
}

export type Column = NumericColumn | CategoricalColumn;

export interface ColumnarDataset {
  numRows: number;
  columns: Record<string, Column>;
}

export const MISSING_CODE = -1;

export function numericColumn(dataset: ColumnarDataset, name: string): Float64Array {
  const column = dataset.columns[name];
  if (column?.kind !== 'numeric') throw new Error(`column ${name} is not numeric`);
  return column.values;
}

export function categoricalColumn(dataset: ColumnarDataset, name: string): CategoricalColumn {
  const column = dataset.columns[name];
  if (column?.kind !== 'categorical') throw new Error(`column ${name} is not categorical`);
  return column;
}
