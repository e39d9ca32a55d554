/**
 * The terminal side of the CLI: human lines on stderr (progress) and stdout (results), or one
 * JSON document on stdout with --json. Core modules never print; they return results or call the
 * `onProgress` callbacks this module hands them.
 */
export interface OutputOptions {
  json?: boolean;
}

export function printResult(options: OutputOptions, result: unknown, human: () => string): void {
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

export function progress(options: OutputOptions): (message: string) => void {
  if (options.json || !process.stderr.isTTY) return (message) => process.stderr.write(`${message}\n`);
  return (message) => process.stderr.write(`\r\x1b[K${message}\n`);
}

/** Renders rows as an aligned plain-text table. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
