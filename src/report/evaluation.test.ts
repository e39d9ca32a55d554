import { describe, expect, it } from 'vitest';
import { syntheticModel, syntheticRecord } from '../../test/support/evaluation-fixtures.ts';
import { summarize } from '../evaluate/summary.ts';
import { computeMetrics } from '../metrics/index.ts';
import { renderEvaluationReport } from './evaluation.ts';

describe('renderEvaluationReport', () => {
  it('writes one self-contained page with every chart, champion side by side', async () => {
    const challenger = syntheticModel('challenger', 1.5);
    const champion = syntheticModel('champion', 1.8);
    const html = await renderEvaluationReport({
      record: syntheticRecord(challenger, champion),
      challenger,
      champion,
    });
    // Self-contained: no scripts, no stylesheets or images fetched from anywhere.
    expect(html).not.toMatch(/<script|<link|<img|url\(|@import/i);
    expect(html.replace(/xmlns(:xlink)?="http:\/\/www\.w3\.org\/[^"]+"/g, '')).not.toMatch(/https?:\/\//);
    for (const title of [
      'ROC curve',
      'Precision–recall curve',
      'Calibration',
      'Confusion matrices',
      'champion v1',
      'Score distribution by class',
      'Feature importance',
      'Higher is better',
    ]) {
      expect(html).toContain(title);
    }
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(8);
    expect(html).toContain('FAIL');
    expect(html).toContain('auc is 0.02 lower');
  });

  it('says there is no champion on day one', async () => {
    const challenger = syntheticModel('challenger', 1.5);
    const html = await renderEvaluationReport({
      record: syntheticRecord(challenger, null),
      challenger,
      champion: null,
    });
    expect(html).toContain('no champion yet');
    expect(html).not.toContain('champion v1');
  });

  it('draws multiclass confusion matrices and regression residuals', async () => {
    const labels = [0, 1, 2, 2, 1, 0, 2, 1];
    const probabilities = [
      0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.2, 0.2, 0.6, 0.1, 0.3, 0.6, 0.3, 0.4, 0.3, 0.5, 0.4, 0.1, 0.2, 0.5, 0.3,
      0.1, 0.8, 0.1,
    ];
    const multi = {
      ...syntheticModel('challenger', 1),
      metrics: computeMetrics('multiclass', labels, probabilities, { classes: 3 }),
      summary: summarize('multiclass', labels, probabilities, { classes: ['low', 'mid', 'high'] }),
    };
    const multiHtml = await renderEvaluationReport({
      record: { ...syntheticRecord(multi, null), task: 'multiclass' },
      challenger: multi,
      champion: null,
    });
    expect(multiHtml).toContain('Per-class figures');
    expect(multiHtml).toContain('macro_f1');
    expect(multiHtml.match(/<svg /g)?.length).toBeGreaterThanOrEqual(2);

    const actual = Array.from({ length: 50 }, (_, i) => i / 5);
    const predicted = actual.map((v, i) => v + ((i % 7) - 3) / 10);
    const reg = {
      ...syntheticModel('challenger', 1),
      featureImportance: undefined,
      metrics: computeMetrics('regression', actual, predicted),
      summary: summarize('regression', actual, predicted),
    };
    const regHtml = await renderEvaluationReport({
      record: { ...syntheticRecord(reg, null), task: 'regression' },
      challenger: reg,
      champion: null,
    });
    expect(regHtml).toContain('Predicted vs actual');
    expect(regHtml).toContain('Residuals');
    expect(regHtml).toContain('rmse');
  });
});
