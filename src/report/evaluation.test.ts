import { describe, expect, it } from 'vitest';
import { syntheticModel, syntheticRecord } from '../../test/support/evaluation-fixtures.ts';
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
});
