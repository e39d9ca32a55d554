import { badge, chartGrid, escapeHtml, htmlTable, raw, renderPage, type Section } from '../report/html.ts';
import { renderVegaLiteSvg, type VegaLiteSpec } from '../report/svg.ts';
import type { DriftCheckResult } from './check.ts';
import type { FeatureDrift } from './compare.ts';

/**
 * The drift report in three forms: a self-contained HTML page (a reference-vs-current
 * distribution chart per drifted feature, and for the score), a markdown summary for the job
 * summary or an issue body, and the JSON result (written by check.ts).
 */
const TEST_NAMES: Record<FeatureDrift['test'], string> = {
  ks: 'Kolmogorov–Smirnov',
  wasserstein: 'Wasserstein (normed)',
  chisquare: 'chi-square',
  jensenshannon: 'Jensen–Shannon',
  z: 'two-proportion z',
  psi: 'PSI',
};

export function formatNumber(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (x !== 0 && Math.abs(x) < 10 ** -digits) return x.toExponential(1);
  return x.toFixed(digits);
}

function verdictLine(result: DriftCheckResult): string {
  if (!result.judged) return `not judged: ${result.reason}`;
  const n = result.features.length;
  const share = `${result.driftedFeatures.length} of ${n} features drifted (${(result.driftShare * 100).toFixed(0)}%, threshold ${(result.thresholds.drift_share * 100).toFixed(0)}%)`;
  const verdict = result.drifted ? `DRIFT: ${share}` : `no drift: ${share}`;
  // Outcomes that arrived can show the model degrading while its inputs hold still: say so up front.
  const degraded = result.performance?.comparison.filter((c) => c.degraded).map((c) => c.metric) ?? [];
  return degraded.length > 0 ? `${verdict}; performance DEGRADED (${degraded.join(', ')})` : verdict;
}

function distributionChart(drift: FeatureDrift): VegaLiteSpec {
  const values = drift.histogram.labels.flatMap((label, k) => [
    { bin: label, order: k, series: 'reference', share: drift.histogram.reference[k] },
    { bin: label, order: k, series: 'current', share: drift.histogram.current[k] },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${drift.feature}: ${TEST_NAMES[drift.test]} ${formatNumber(drift.pValue ?? drift.statistic)}`,
    width: Math.max(260, Math.min(560, drift.histogram.labels.length * 34)),
    height: 180,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: {
        field: 'bin',
        type: 'nominal',
        sort: { field: 'order' },
        title: drift.kind === 'numeric' ? 'reference quantile bin' : 'category',
        axis: { labelAngle: -40, labelLimit: 130 },
      },
      xOffset: { field: 'series', sort: ['reference', 'current'] },
      y: { field: 'share', type: 'quantitative', title: 'share of rows', axis: { format: '%' } },
      color: { field: 'series', type: 'nominal', sort: ['reference', 'current'], title: null },
      tooltip: [
        { field: 'bin', type: 'nominal' },
        { field: 'series', type: 'nominal' },
        { field: 'share', type: 'quantitative', format: '.2%' },
      ],
    },
  } as VegaLiteSpec;
}

function featureRows(drifts: FeatureDrift[]) {
  return drifts.map((d) => [
    d.feature,
    d.kind,
    TEST_NAMES[d.test],
    formatNumber(d.statistic, 4),
    formatNumber(d.pValue, 4),
    `${d.pValue !== null ? 'p <' : '≥'} ${d.threshold}`,
    formatNumber(d.psi, 4),
    d.rows.current,
    d.drifted ? badge('drift', 'fail') : badge('ok', 'ok'),
  ]);
}

export async function renderDriftHtml(result: DriftCheckResult): Promise<string> {
  const header = ['feature', 'kind', 'test', 'statistic', 'p-value', 'drift when', 'PSI', 'rows', ''];
  const charted = [...result.features.filter((f) => f.drifted), result.score];
  const charts = await Promise.all(
    charted.map(async (f) => ({
      svg: await renderVegaLiteSvg(distributionChart(f)),
      caption:
        f.kind === 'numeric' && f.mean
          ? `mean ${formatNumber(f.mean.reference)} → ${formatNumber(f.mean.current)}; PSI ${formatNumber(f.psi)}`
          : `PSI ${formatNumber(f.psi)}; missing ${(f.missingShare.reference * 100).toFixed(1)}% → ${(f.missingShare.current * 100).toFixed(1)}%`,
    })),
  );
  const sections: Section[] = [
    {
      title: 'Features',
      lead: 'Each feature is tested as Evidently does by default: Kolmogorov–Smirnov or chi-square (p-value) when the smaller side has at most 1000 rows, normalised Wasserstein or Jensen–Shannon distance otherwise. PSI over the reference bins is shown for all.',
      body: htmlTable(
        header,
        featureRows(result.features),
        result.features.map((f) => (f.drifted ? 'fail' : undefined)),
      ),
    },
    {
      title: 'Predicted score',
      lead: 'The distribution of the model output against its distribution on the reference data (not counted in the drift share).',
      body: htmlTable(header, featureRows([result.score]), [result.score.drifted ? 'fail' : undefined]),
    },
    {
      title: 'Distributions',
      lead: 'Reference (training data) against the current window, for every drifted feature and for the score.',
      body: chartGrid(charts),
    },
  ];
  if (result.performance) {
    const p = result.performance;
    sections.push({
      title: 'Performance on the window',
      lead: `${p.matched} captured rows matched to labelled rows (${p.unmatched} without a label). Regression is how much worse than the registered value (positive = worse).`,
      body: htmlTable(
        ['metric', 'window', 'registered', 'regression', 'allowed', ''],
        p.comparison.map((c) => [
          c.metric,
          formatNumber(c.window, 4),
          formatNumber(c.registered, 4),
          formatNumber(c.regression, 4),
          c.allowed === null ? '–' : c.allowed,
          c.degraded ? badge('degraded', 'fail') : badge('ok', 'ok'),
        ]),
      ),
    });
  }
  return renderPage({
    title: `Drift: ${result.model} in ${result.environment}`,
    subtitle: raw(
      `${result.drifted ? badge('drift', 'fail').html : result.judged ? badge('no drift', 'ok').html : badge('not judged', 'warn').html}${result.performance?.degraded ? ` ${badge('degraded', 'fail').html}` : ''} ${escapeHtml(verdictLine(result))}`,
    ),
    facts: [
      ['version', `v${result.version}`],
      ['run', result.runId],
      ['window', `${result.window.from} → ${result.window.to}`],
      ['rows', result.window.rows],
      ['files', result.window.files],
      ['drift share', `${(result.driftShare * 100).toFixed(0)}%`],
    ],
    sections,
    footer: `mlship drift-check · statistics ${result.seconds.statistics.toFixed(2)} s, reading ${result.seconds.read.toFixed(2)} s`,
  });
}

export function renderDriftMarkdown(result: DriftCheckResult, reportLink?: string): string {
  const lines = [
    `### ${result.drifted ? '🔴' : result.judged ? '🟢' : '⚪'} Drift check: ${result.model} v${result.version} in ${result.environment}`,
    '',
    `**${verdictLine(result)}** · window ${result.window.from} → ${result.window.to} · ${result.window.rows} rows`,
    '',
    '| feature | test | statistic | p-value | threshold | PSI | drifted |',
    '| --- | --- | ---: | ---: | ---: | ---: | :---: |',
  ];
  for (const d of [...result.features, result.score]) {
    lines.push(
      `| ${d.feature === 'score' && d === result.score ? '_score_' : d.feature} | ${TEST_NAMES[d.test]} | ${formatNumber(d.statistic, 4)} | ${formatNumber(d.pValue, 4)} | ${d.threshold} | ${formatNumber(d.psi, 4)} | ${d.drifted ? '**yes**' : 'no'} |`,
    );
  }
  if (result.performance) {
    lines.push('', `Performance on ${result.performance.matched} labelled rows:`, '');
    lines.push('| metric | window | registered | regression |', '| --- | ---: | ---: | ---: |');
    for (const c of result.performance.comparison) {
      lines.push(
        `| ${c.metric} | ${formatNumber(c.window, 4)} | ${formatNumber(c.registered, 4)} | ${formatNumber(c.regression, 4)}${c.degraded ? ' ⚠️' : ''} |`,
      );
    }
  }
  if (reportLink) lines.push('', `Full report: ${reportLink}`);
  return `${lines.join('\n')}\n`;
}

/** The drift table as plain cells (header first), for terminals and logs: the CLI and the demo print it. */
export function driftTableCells(
  result: Pick<DriftCheckResult, 'features' | 'score'>,
): Array<Array<string | number>> {
  return [
    ['feature', 'test', 'statistic', 'p-value', 'threshold', 'PSI', 'drifted'],
    ...[...result.features, result.score].map((f) => [
      f === result.score ? '(score)' : f.feature,
      f.test,
      formatNumber(f.statistic, 4),
      formatNumber(f.pValue, 4),
      f.threshold,
      formatNumber(f.psi, 4),
      f.drifted ? 'DRIFT' : 'ok',
    ]),
  ];
}

/** One line: the verdict, for terminals and logs. */
export function driftVerdict(result: DriftCheckResult): string {
  return verdictLine(result);
}
