import { describe, expect, it } from 'vitest';
import { syntheticModel, syntheticRecord } from '../../test/support/evaluation-fixtures.ts';
import { evaluationMarkdown } from './markdown.ts';

describe('evaluationMarkdown', () => {
  it('shows gates, metrics against the champion with signed deltas, and the report link', () => {
    const challenger = syntheticModel('challenger', 1.5);
    const champion = syntheticModel('champion', 1.8);
    const record = syntheticRecord(challenger, champion);
    const text = evaluationMarkdown(record, { reportLink: 'https://example.test/report.html' });
    expect(text).toMatch(/^### flight-delay: evaluation ❌ failed/);
    expect(text).toContain(
      '| ❌ | auc | max regression vs champion | 0.0100 | worse by 0.0200 | auc is 0.02 lower |',
    );
    expect(text).toContain('| metric | challenger | champion v1 | Δ |');
    const auc = text.split('\n').find((line) => line.startsWith('| auc |'))!;
    expect(auc).toBe(
      `| auc | ${challenger.metrics.auc.toFixed(4)} | ${champion.metrics.auc.toFixed(4)} | −${(champion.metrics.auc - challenger.metrics.auc).toFixed(4)} 🔴 |`,
    );
    // log_loss went up: worse, even though the delta is positive.
    expect(text.split('\n').find((line) => line.startsWith('| log_loss |'))).toMatch(/\+0\.\d{4} 🔴 \|$/);
    expect(text).toContain('[Full report with plots](https://example.test/report.html)');
  });

  it('day one: metrics alone, regression gate skipped', () => {
    const challenger = syntheticModel('challenger', 1.5);
    const record = { ...syntheticRecord(challenger, null), passed: true, gates: [] };
    const text = evaluationMarkdown(record, { reportLink: '.mlship/reports/x.html' });
    expect(text).toContain('no champion yet');
    expect(text).toContain('| metric | value |');
    expect(text).toContain('Full report with plots: `.mlship/reports/x.html`');
  });
});
