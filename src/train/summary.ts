import { orderedMetricNames } from '../metrics/index.ts';
import type { RunRecord } from '../runs/record.ts';

/**
 * The train step's result as Markdown, for the action's job summary (and anywhere else Markdown is
 * read): the metrics table of the model and the linear baseline on validation and test, the search
 * trials if any, and where the run lives.
 */
export function renderTrainSummary(record: RunRecord, storeUrl?: string): string {
  const names = orderedMetricNames(record.metrics.test, record.metrics.validation).slice(0, 8);
  const cell = (value: number | undefined) => (value === undefined ? '' : value.toFixed(4));
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const lines = [
    `### Training run \`${record.runId}\` (${record.model})`,
    '',
    `Trainer **${record.trainer.type}**: ${Object.entries(record.trainer.params)
      .map(([k, v]) => `\`${k}=${v}\``)
      .join(' ')}`,
    '',
    row(['model', 'split', ...names]),
    row(['---', '---', ...names.map(() => '---:')]),
    row([record.trainer.type, 'validation', ...names.map((n) => cell(record.metrics.validation[n]))]),
    row([record.trainer.type, 'test', ...names.map((n) => cell(record.metrics.test[n]))]),
  ];
  if (record.baseline) {
    lines.push(
      row(['linear baseline', 'validation', ...names.map((n) => cell(record.baseline!.validation[n]))]),
    );
    lines.push(row(['linear baseline', 'test', ...names.map((n) => cell(record.baseline!.test[n]))]));
  }
  lines.push(
    '',
    `Rows: ${record.rows.train} train, ${record.rows.validation} validation, ${record.rows.test} test. ` +
      `Took ${record.timings.total.toFixed(1)} s. Model ${record.artifacts.model.bytes} bytes, sha256 \`${record.artifacts.model.sha256.slice(0, 12)}\`` +
      (record.git.commit
        ? `, code \`${record.git.commit.slice(0, 8)}\`${record.git.dirty ? ' (uncommitted changes)' : ''}`
        : '') +
      '.',
  );
  if (record.search) {
    const metric = orderedMetricNames(record.search[0]?.metrics)[0];
    lines.push(
      '',
      `<details><summary>Search: ${record.search.length} trial(s)</summary>`,
      '',
      row(['trial', 'params', metric ?? '', 'seconds']),
      row(['---:', '---', '---:', '---:']),
      ...record.search.map((trial, i) =>
        row([
          String(i + 1),
          `\`${JSON.stringify(trial.params)}\``,
          cell(trial.metrics[metric]),
          trial.seconds.toFixed(1),
        ]),
      ),
      '',
      '</details>',
    );
  }
  if (storeUrl) lines.push('', `Stored in \`${storeUrl}/runs/${record.runId}/\`.`);
  return `${lines.join('\n')}\n`;
}
