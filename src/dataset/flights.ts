import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetWriteBuffer } from 'hyparquet-writer';

/**
 * The flights data set: US domestic flights, January to June 2001, from vega-datasets. Turned into
 * one Parquet file per month with the model's columns. The bytes depend only on the input, so the
 * committed data.lock matches what anyone regenerates.
 */
export const FLIGHT_MONTHS = ['2001-01', '2001-02', '2001-03', '2001-04', '2001-05', '2001-06'] as const;

/** A departure is "delayed" when it is more than this many minutes late (the usual BTS definition). */
export const DELAY_THRESHOLD_MINUTES = 15;

export interface FlightMonth {
  month: string;
  rows: number;
  bytes: Uint8Array;
}

/** flights-3m.parquet inside the vega-datasets package. */
export function flightsSourcePath(): string {
  // The package exports only its JS index; the data files sit one folder up from build/.
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  return join(dirname(entry), '..', 'data', 'flights-3m.parquet');
}

export interface SplitOptions {
  /** Keep about N flights of each month, evenly spaced through it (time order kept); all when absent. */
  rowsPerMonth?: number;
}

export async function splitFlightsByMonth(
  sourcePath: string,
  options: SplitOptions = {},
): Promise<FlightMonth[]> {
  const file = await asyncBufferFromFile(sourcePath);
  const metadata = await parquetMetadataAsync(file);
  const total = Number(metadata.num_rows);
  const dates = new Float64Array(total);
  const delays = new Float64Array(total);
  const distances = new Float64Array(total);
  const origins: string[] = new Array(total);
  const destinations: string[] = new Array(total);
  await parquetRead({
    file,
    metadata,
    compressors,
    columns: ['date', 'delay', 'distance', 'origin', 'destination'],
    onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
      for (let i = 0; i < rowEnd - rowStart; i++) {
        const value = columnData[i] as unknown;
        const row = rowStart + i;
        if (columnName === 'date') dates[row] = (value as Date).getTime();
        else if (columnName === 'delay') delays[row] = Number(value);
        else if (columnName === 'distance') distances[row] = Number(value);
        else if (columnName === 'origin') origins[row] = value as string;
        else destinations[row] = value as string;
      }
    },
  });

  // Dates are local times stored as timestamps: read them as UTC, so hours and days are local.
  const byMonth = new Map<string, number[]>(FLIGHT_MONTHS.map((month) => [month, []]));
  for (let row = 0; row < total; row++) {
    const month = new Date(dates[row]).toISOString().slice(0, 7);
    // Six rows dated 2001-07-01 00:00 belong to no month of January-June: they are dropped.
    byMonth.get(month)?.push(row);
  }

  return FLIGHT_MONTHS.map((month) => {
    const rows = evenlySpaced(byMonth.get(month)!, options.rowsPerMonth);
    const n = rows.length;
    const depHour = new Int32Array(n);
    const dayOfWeek = new Int32Array(n);
    const distance = new Int32Array(n);
    const delayed: boolean[] = new Array(n);
    const origin: string[] = new Array(n);
    const destination: string[] = new Array(n);
    rows.forEach((row, i) => {
      const date = new Date(dates[row]);
      depHour[i] = date.getUTCHours();
      // 0 is Monday (getUTCDay counts from Sunday).
      dayOfWeek[i] = (date.getUTCDay() + 6) % 7;
      distance[i] = distances[row];
      delayed[i] = delays[row] > DELAY_THRESHOLD_MINUTES;
      origin[i] = origins[row];
      destination[i] = destinations[row];
    });
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'origin', data: origin, type: 'STRING', nullable: false },
        { name: 'destination', data: destination, type: 'STRING', nullable: false },
        { name: 'distance', data: distance, type: 'INT32', nullable: false },
        { name: 'dep_hour', data: depHour, type: 'INT32', nullable: false },
        { name: 'day_of_week', data: dayOfWeek, type: 'INT32', nullable: false },
        { name: 'delayed', data: delayed, type: 'BOOLEAN', nullable: false },
      ],
      rowGroupSize: 100_000,
      createdBy: 'mlship ingest-flights',
    });
    return { month, rows: n, bytes: new Uint8Array(buffer) };
  });
}

/** Every k-th row, so a small slice still covers the whole month (its days, weekdays and hours). */
function evenlySpaced(rows: number[], wanted: number | undefined): number[] {
  if (wanted === undefined || wanted >= rows.length) return rows;
  const step = rows.length / wanted;
  return Array.from({ length: wanted }, (_, i) => rows[Math.floor(i * step)]);
}
