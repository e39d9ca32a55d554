import type { BinarySummary, MulticlassSummary, RegressionSummary } from '../evaluate/summary.ts';
import type { EvaluationRecord, GateResult, ScoredModel } from '../evaluate/types.ts';
import { lowerIsBetter, orderedMetricNames } from '../metrics/index.ts';
import {
  badge,
  type Cell,
  chartGrid,
  escapeHtml,
  type Html,
  htmlTable,
  raw,
  renderPage,
  type Section,
} from './html.ts';
import { renderVegaLiteSvg, type VegaLiteSpec } from './svg.ts';

/**
 * The evaluation report: challenger against champion on the same held-out rows, as a page a
 * reviewer reads in a minute. Every chart is drawn from the small summaries in `ScoredModel`.
 */
export interface EvaluationReportInput {
  record: EvaluationRecord;
  challenger: ScoredModel;
  champion: ScoredModel | null;
}

const CHALLENGER_COLOR = '#2563eb';
const CHAMPION_COLOR = '#f97316';
const SIZE = { width: 330, height: 280 };

export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (Number.isInteger(value) && Math.abs(value) >= 1) return value.toLocaleString('en-US');
  return value.toFixed(digits);
}

export function formatDelta(value: number | undefined, digits = 4): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) return `±${text}`;
  return `${value > 0 ? '+' : '−'}${text}`;
}

/** A gate's measured value; for a regression gate, how much worse (or better) than the champion. */
export function gateValue(g: GateResult): string {
  if (g.actual === null) return '–';
  if (g.gate !== 'max_regression') return formatNumber(g.actual);
  return g.actual > 0 ? `worse by ${formatNumber(g.actual)}` : `better by ${formatNumber(-g.actual)}`;
}

export function modelName(model: ScoredModel): string {
  return model.role === 'champion' ? `champion v${model.version}` : `challenger ${model.runId}`;
}

function colorScale(models: ScoredModel[]) {
  return {
    domain: models.map(modelName),
    range: models.map((m) => (m.role === 'champion' ? CHAMPION_COLOR : CHALLENGER_COLOR)),
  };
}

function modelColor(models: ScoredModel[]) {
  return {
    field: 'model',
    type: 'nominal',
    title: null,
    scale: colorScale(models),
    legend: { orient: 'bottom', direction: 'vertical' },
  } as const;
}

function diagonal(): object {
  return {
    data: { values: [{ a: 0 }, { a: 1 }] },
    mark: { type: 'line', strokeDash: [4, 4], color: '#9ca3af' },
    encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'a', type: 'quantitative' } },
  };
}

function binaryModels(models: ScoredModel[]): Array<ScoredModel & { summary: BinarySummary }> {
  return models.filter((m): m is ScoredModel & { summary: BinarySummary } => m.summary.kind === 'binary');
}

async function rocChart(models: ScoredModel[]): Promise<string> {
  const values = binaryModels(models).flatMap((m) =>
    m.summary.roc.map((p) => ({ model: modelName(m), fpr: p.fpr, tpr: p.tpr })),
  );
  return renderVegaLiteSvg({
    ...SIZE,
    title: 'ROC curve',
    layer: [
      diagonal(),
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 2, interpolate: 'step-after' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } },
          color: modelColor(models),
        },
      },
    ],
  } as VegaLiteSpec);
}

async function prChart(models: ScoredModel[]): Promise<string> {
  const binary = binaryModels(models);
  const values = binary.flatMap((m) =>
    m.summary.pr.map((p) => ({ model: modelName(m), recall: p.recall, precision: p.precision })),
  );
  const base = binary[0]?.summary;
  const rate = base ? base.positives / Math.max(1, base.positives + base.negatives) : 0;
  return renderVegaLiteSvg({
    ...SIZE,
    title: 'Precision–recall curve',
    layer: [
      {
        data: { values: [{ y: rate }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#9ca3af' },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 2, interpolate: 'step-before' },
        encoding: {
          x: { field: 'recall', type: 'quantitative', title: 'recall', scale: { domain: [0, 1] } },
          y: { field: 'precision', type: 'quantitative', title: 'precision', scale: { domain: [0, 1] } },
          color: modelColor(models),
        },
      },
    ],
  } as VegaLiteSpec);
}

async function calibrationChart(models: ScoredModel[]): Promise<string> {
  const values = binaryModels(models).flatMap((m) =>
    m.summary.calibration.map((b) => ({
      model: modelName(m),
      predicted: b.meanPredicted,
      observed: b.fractionPositive,
      rows: b.count,
    })),
  );
  return renderVegaLiteSvg({
    ...SIZE,
    title: 'Calibration (10 equal-width bins)',
    layer: [
      diagonal(),
      {
        data: { values },
        mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 2 },
        encoding: {
          x: {
            field: 'predicted',
            type: 'quantitative',
            title: 'mean predicted probability',
            scale: { domain: [0, 1] },
          },
          y: {
            field: 'observed',
            type: 'quantitative',
            title: 'observed share positive',
            scale: { domain: [0, 1] },
          },
          color: modelColor(models),
        },
      },
    ],
  } as VegaLiteSpec);
}

async function confusionChart(model: ScoredModel & { summary: BinarySummary }): Promise<string> {
  const { tn, fp, fn, tp } = model.summary.confusion;
  const total = tn + fp + fn + tp;
  const cells = [
    { actual: '0 (negative)', predicted: '0 (negative)', count: tn },
    { actual: '0 (negative)', predicted: '1 (positive)', count: fp },
    { actual: '1 (positive)', predicted: '0 (negative)', count: fn },
    { actual: '1 (positive)', predicted: '1 (positive)', count: tp },
  ].map((c) => ({
    ...c,
    label: `${c.count.toLocaleString('en-US')} (${((100 * c.count) / total).toFixed(1)}%)`,
  }));
  return confusionHeatmap(cells, modelName(model), 260, `positive when score ≥ ${model.summary.threshold}`);
}

async function confusionHeatmap(
  values: Array<{ actual: string; predicted: string; count: number; label: string }>,
  title: string,
  size: number,
  subtitle?: string,
): Promise<string> {
  return renderVegaLiteSvg({
    width: size,
    height: size,
    title: subtitle ? { text: title, subtitle } : title,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'nominal', title: 'predicted', axis: { labelAngle: 0 } },
      y: { field: 'actual', type: 'nominal', title: 'actual' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' }, legend: null },
        },
      },
      {
        mark: { type: 'text', fontSize: 13, fontWeight: 600 },
        encoding: {
          text: { field: 'label', type: 'nominal' },
          color: {
            condition: {
              test: `datum.count > ${Math.max(...values.map((v) => v.count)) / 2}`,
              value: 'white',
            },
            value: '#111827',
          },
        },
      },
    ],
  } as VegaLiteSpec);
}

async function scoreDistributionChart(model: ScoredModel & { summary: BinarySummary }): Promise<string> {
  const values = model.summary.scoreHistogram.flatMap((b) => [
    {
      score: b.lower,
      end: b.upper,
      share: b.negative,
      class: `negative (${model.summary.negatives.toLocaleString('en-US')})`,
    },
    {
      score: b.lower,
      end: b.upper,
      share: b.positive,
      class: `positive (${model.summary.positives.toLocaleString('en-US')})`,
    },
  ]);
  return renderVegaLiteSvg({
    ...SIZE,
    title: modelName(model),
    data: { values },
    mark: { type: 'bar', opacity: 0.55, binSpacing: 0 },
    encoding: {
      x: {
        field: 'score',
        type: 'quantitative',
        bin: { binned: true, step: 0.025 },
        title: 'predicted probability',
        scale: { domain: [0, 1] },
      },
      x2: { field: 'end' },
      y: {
        field: 'share',
        type: 'quantitative',
        stack: null,
        title: 'share of the class',
        axis: { format: '%' },
      },
      color: {
        field: 'class',
        type: 'nominal',
        title: null,
        scale: { range: ['#64748b', '#dc2626'] },
        legend: { orient: 'bottom' },
      },
    },
  } as VegaLiteSpec);
}

async function featureImportanceChart(models: ScoredModel[]): Promise<string | null> {
  const withImportance = models.filter(
    (m) => m.featureImportance && Object.keys(m.featureImportance).length > 0,
  );
  if (withImportance.length === 0) return null;
  const values = withImportance.flatMap((m) => {
    const entries = Object.entries(m.featureImportance!);
    const total = entries.reduce((sum, [, v]) => sum + Math.abs(v), 0) || 1;
    return entries.map(([feature, v]) => ({ model: modelName(m), feature, importance: Math.abs(v) / total }));
  });
  const order = [
    ...new Set(
      values
        .filter((v) => v.model === modelName(withImportance[0]))
        .sort((a, b) => b.importance - a.importance)
        .map((v) => v.feature),
    ),
  ];
  return renderVegaLiteSvg({
    width: 460,
    height: { step: withImportance.length > 1 ? 12 : 18 },
    title: 'Feature importance (share of total)',
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'feature', type: 'nominal', sort: order, title: null },
      yOffset: { field: 'model' },
      x: { field: 'importance', type: 'quantitative', title: 'share of importance', axis: { format: '%' } },
      color: modelColor(withImportance),
    },
  } as VegaLiteSpec);
}

/** Metrics on a 0..1 scale, challenger and champion side by side. */
async function metricBarsChart(models: ScoredModel[]): Promise<string | null> {
  // Only higher-is-better figures on a 0..1 scale, so taller always reads as better.
  const names = orderedMetricNames(...models.map((m) => m.metrics)).filter(
    (name) =>
      !lowerIsBetter(name) &&
      models.every((m) => m.metrics[name] === undefined || (m.metrics[name] >= 0 && m.metrics[name] <= 1)),
  );
  if (names.length === 0) return null;
  const values = models.flatMap((m) =>
    names
      .filter((n) => m.metrics[n] !== undefined)
      .map((metric) => ({ model: modelName(m), metric, value: m.metrics[metric] })),
  );
  return renderVegaLiteSvg({
    width: 460,
    height: 260,
    title: { text: 'Higher is better', subtitle: 'metrics on a 0–1 scale' },
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'metric', type: 'nominal', sort: names, title: null, axis: { labelAngle: 0 } },
          xOffset: { field: 'model' },
          y: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] }, title: null },
          color: modelColor(models),
        },
      },
    ],
  } as VegaLiteSpec);
}

async function regressionCharts(models: ScoredModel[]): Promise<Array<{ svg: string }>> {
  const out: Array<{ svg: string }> = [];
  for (const m of models) {
    if (m.summary.kind !== 'regression') continue;
    const summary: RegressionSummary = m.summary;
    out.push({
      svg: await renderVegaLiteSvg({
        ...SIZE,
        title: `Predicted vs actual: ${modelName(m)}`,
        data: { values: summary.sample },
        mark: { type: 'point', size: 8, opacity: 0.4, filled: true },
        encoding: {
          x: { field: 'actual', type: 'quantitative' },
          y: { field: 'predicted', type: 'quantitative' },
        },
      } as VegaLiteSpec),
    });
    out.push({
      svg: await renderVegaLiteSvg({
        ...SIZE,
        title: `Residuals (predicted − actual): ${modelName(m)}`,
        data: { values: summary.residualHistogram },
        mark: { type: 'bar', binSpacing: 0 },
        encoding: {
          x: { field: 'lower', type: 'quantitative', bin: { binned: true }, title: 'residual' },
          x2: { field: 'upper' },
          y: { field: 'count', type: 'quantitative', title: 'rows' },
        },
      } as VegaLiteSpec),
    });
  }
  return out;
}

async function multiclassSections(models: ScoredModel[]): Promise<Section[]> {
  const sections: Section[] = [];
  const charts: Array<{ svg: string }> = [];
  const tables: Html[] = [];
  for (const m of models) {
    if (m.summary.kind !== 'multiclass') continue;
    const summary: MulticlassSummary = m.summary;
    const values = summary.confusion.flatMap((row, i) =>
      row.map((count, j) => ({
        actual: summary.classes[i],
        predicted: summary.classes[j],
        count,
        label: count.toLocaleString('en-US'),
      })),
    );
    charts.push({ svg: await confusionHeatmap(values, modelName(m), 300) });
    tables.push(
      raw(`<h3>${escapeHtml(modelName(m))}</h3>`),
      htmlTable(
        ['class', 'precision', 'recall', 'F1', 'support'],
        summary.perClass.map(
          (f, k) => [summary.classes[k], f.precision, f.recall, f.f1, f.support] as Cell[],
        ),
      ),
    );
  }
  if (charts.length) sections.push({ title: 'Confusion matrices', body: chartGrid(charts) });
  if (tables.length) sections.push({ title: 'Per-class figures', body: tables });
  return sections;
}

function gateTable(record: EvaluationRecord): Html {
  if (record.gates.length === 0) return raw('<p>No gates are configured in mlship.yaml.</p>');
  const rows = record.gates.map((g) => [
    g.status === 'pass'
      ? badge('pass', 'ok')
      : g.status === 'fail'
        ? badge('FAIL', 'fail')
        : badge('skipped', 'info'),
    g.metric,
    g.gate === 'max_regression' ? 'max regression vs champion' : g.gate,
    g.limit,
    gateValue(g),
    g.detail,
  ]);
  return htmlTable(
    ['', 'metric', 'gate', 'limit', 'value', 'outcome'],
    rows as Cell[][],
    record.gates.map((g) => (g.status === 'fail' ? 'fail' : undefined)),
  );
}

function metricsTable(challenger: ScoredModel, champion: ScoredModel | null, record: EvaluationRecord): Html {
  const names = orderedMetricNames(challenger.metrics, champion?.metrics);
  const header = champion
    ? ['metric', modelName(challenger), modelName(champion), 'Δ (challenger − champion)']
    : ['metric', modelName(challenger)];
  const rows = names.map((name) => {
    const row: Cell[] = [name, raw(`<span>${formatNumber(challenger.metrics[name])}</span>`)];
    if (champion) {
      row.push(raw(`<span>${formatNumber(champion.metrics[name])}</span>`));
      const delta = record.deltas[name];
      const better = delta !== undefined && (lowerIsBetter(name) ? delta < 0 : delta > 0);
      const worse = delta !== undefined && (lowerIsBetter(name) ? delta > 0 : delta < 0);
      row.push(
        raw(
          `<span class="${better ? 'better' : worse ? 'worse' : ''}">${escapeHtml(formatDelta(delta))}</span>`,
        ),
      );
    }
    return row;
  });
  // Numbers are pre-formatted spans; mark the columns numeric for alignment.
  const table = htmlTable(header, rows).html.replace(/<td><span/g, '<td class="num"><span');
  return raw(table);
}

export async function renderEvaluationReport(input: EvaluationReportInput): Promise<string> {
  const { record, challenger, champion } = input;
  const models = champion ? [challenger, champion] : [challenger];
  const failed = record.gates.filter((g) => g.status === 'fail');
  const sections: Section[] = [
    {
      title: 'Gates',
      lead: record.passed
        ? 'Every gate in mlship.yaml passed: the run may be registered.'
        : `${failed.length} gate(s) failed: the run will not be registered unless forced.`,
      body: gateTable(record),
    },
    {
      title: champion ? 'Metrics: challenger against champion' : 'Metrics',
      lead: champion
        ? `Both models scored on the same ${record.rows.toLocaleString('en-US')} held-out rows. Green deltas are improvements.`
        : `No version serves production yet, so there is no champion to compare with. Scored on ${record.rows.toLocaleString('en-US')} held-out rows.`,
      body: metricsTable(challenger, champion, record),
    },
  ];
  const bars = await metricBarsChart(models);
  if (bars && champion)
    sections.push({ title: 'Challenger and champion side by side', body: chartGrid([{ svg: bars }]) });

  if (record.task === 'binary') {
    const binary = binaryModels(models);
    sections.push({
      title: 'Ranking: ROC and precision–recall',
      lead: 'Higher curves rank positives above negatives better; the dashed lines are a random guess.',
      body: chartGrid([{ svg: await rocChart(models) }, { svg: await prChart(models) }]),
    });
    sections.push({
      title: 'Calibration',
      lead: 'Points on the dashed diagonal mean a predicted 30% comes true 30% of the time.',
      body: chartGrid([{ svg: await calibrationChart(models) }]),
    });
    sections.push({
      title: 'Confusion matrices',
      body: chartGrid(await Promise.all(binary.map(async (m) => ({ svg: await confusionChart(m) })))),
    });
    sections.push({
      title: 'Score distribution by class',
      lead: 'The less the two classes overlap, the better the model separates them.',
      body: chartGrid(await Promise.all(binary.map(async (m) => ({ svg: await scoreDistributionChart(m) })))),
    });
  } else if (record.task === 'multiclass') {
    sections.push(...(await multiclassSections(models)));
  } else {
    sections.push({ title: 'Predictions and residuals', body: chartGrid(await regressionCharts(models)) });
  }
  const importance = await featureImportanceChart(models);
  if (importance) {
    sections.push({
      title: 'Feature importance',
      lead: 'As reported by the trainer (normalised to shares so models compare).',
      body: chartGrid([{ svg: importance }]),
    });
  }

  return renderPage({
    title: `${record.model}: evaluation of run ${record.runId}`,
    subtitle: raw(
      `${record.passed ? badge('passed', 'ok').html : badge('failed', 'fail').html} ${
        champion
          ? `challenger run <code>${escapeHtml(record.runId)}</code> against champion v${champion.version} (run <code>${escapeHtml(champion.runId)}</code>)`
          : `run <code>${escapeHtml(record.runId)}</code>; no champion yet`
      }`,
    ),
    facts: [
      ['model', record.model],
      ['task', record.task],
      ['held-out rows', record.rows.toLocaleString('en-US')],
      ['test data', record.testData.join(', ')],
      ['model sha256', raw(`<code>${escapeHtml(record.sha256.slice(0, 16))}…</code>`)],
      ['evaluated', record.createdAt],
    ],
    sections,
    footer: `Generated by mlship evaluate at ${record.createdAt}. Self-contained: no scripts, no external resources.`,
  });
}
