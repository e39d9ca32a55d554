import type { EvaluationRecord } from '../evaluate/types.ts';
import { lowerIsBetter, orderedMetricNames } from '../metrics/index.ts';
import { formatDelta, formatNumber, gateValue } from './evaluation.ts';

/**
 * The evaluation as GitHub-flavoured Markdown: the PR comment and the job summary carry exactly
 * this, so a reviewer sees the same thing in both places.
 */
export interface MarkdownOptions {
  /** Where the full HTML report can be read: a URL (artifact, object store) or a path. */
  reportLink?: string;
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function evaluationMarkdown(record: EvaluationRecord, options: MarkdownOptions = {}): string {
  const lines: string[] = [];
  const status = record.passed ? '✅ passed' : '❌ failed';
  const against = record.champion
    ? `against champion **v${record.champion.version}** (run \`${record.champion.runId}\`)`
    : 'no champion yet (nothing serves production)';
  lines.push(`### ${record.model}: evaluation ${status}`);
  lines.push('');
  lines.push(
    `Run \`${record.runId}\` ${against}, on ${record.rows.toLocaleString('en-US')} held-out rows of ${record.testData.map((p) => `\`${p}\``).join(', ')}.`,
  );
  lines.push('');

  lines.push('#### Gates');
  lines.push('');
  if (record.gates.length === 0) {
    lines.push('No gates are configured in `mlship.yaml`.');
  } else {
    lines.push('| | metric | gate | limit | value | outcome |');
    lines.push('|---|---|---|--:|--:|---|');
    for (const g of record.gates) {
      const icon = g.status === 'pass' ? '✅' : g.status === 'fail' ? '❌' : '➖';
      const gate = g.gate === 'max_regression' ? 'max regression vs champion' : g.gate;
      lines.push(
        `| ${icon} | ${g.metric} | ${gate} | ${formatNumber(g.limit)} | ${gateValue(g)} | ${escapeCell(g.detail)} |`,
      );
    }
  }
  lines.push('');

  lines.push('#### Metrics');
  lines.push('');
  const names = orderedMetricNames(record.metrics, record.champion?.metrics);
  if (record.champion) {
    lines.push(`| metric | challenger | champion v${record.champion.version} | Δ |`);
    lines.push('|---|--:|--:|--:|');
    for (const name of names) {
      const delta = record.deltas[name];
      const better = delta !== undefined && delta !== 0 && (lowerIsBetter(name) ? delta < 0 : delta > 0);
      const worse = delta !== undefined && delta !== 0 && !better;
      const mark = better ? ' 🟢' : worse ? ' 🔴' : '';
      lines.push(
        `| ${name} | ${formatNumber(record.metrics[name])} | ${formatNumber(record.champion.metrics[name])} | ${formatDelta(delta)}${mark} |`,
      );
    }
  } else {
    lines.push('| metric | value |');
    lines.push('|---|--:|');
    for (const name of names) lines.push(`| ${name} | ${formatNumber(record.metrics[name])} |`);
  }
  lines.push('');
  const link = options.reportLink;
  if (link) {
    lines.push(
      /^https?:\/\//.test(link)
        ? `📊 [Full report with plots](${link})`
        : `📊 Full report with plots: \`${link}\``,
    );
  }
  lines.push(
    `<sub>Store key: \`${record.reportKey}\` · model sha256 \`${record.sha256.slice(0, 12)}\`</sub>`,
  );
  return `${lines.join('\n')}\n`;
}
