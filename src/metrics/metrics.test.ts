import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  brier,
  calibrationBins,
  confusionMatrix,
  logLoss,
  precisionRecallCurve,
  rocAuc,
  rocCurve,
  thresholdMetrics,
} from './binary.ts';
import { computeMetrics, regressionOf } from './index.ts';
import { argmaxRows, multiclassMetrics, perClassFigures } from './multiclass.ts';
import { regressionMetrics } from './regression.ts';

// Expected values come from scikit-learn (scripts/make-metric-fixtures.py); CI does not need it.
const fixtures = join(import.meta.dirname, '../../test/fixtures/metrics');
const load = (name: string) => JSON.parse(readFileSync(join(fixtures, name), 'utf8')).cases;

const TOLERANCE = 1e-9;
function close(actual: number, expected: number) {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(TOLERANCE);
}
function closeAll(actual: number[], expected: Array<number | null>) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => {
    const want = expected[i];
    if (want === null) expect(value).toBe(Number.POSITIVE_INFINITY);
    else close(value, want);
  });
}

describe('binary metrics match scikit-learn', () => {
  for (const c of load('binary.json')) {
    it(c.name, () => {
      const { labels, scores, threshold, expected } = c;
      close(rocAuc(labels, scores), expected.auc);
      close(averagePrecision(labels, scores), expected.pr_auc);
      close(logLoss(labels, scores), expected.log_loss);
      close(brier(labels, scores), expected.brier);
      const at = thresholdMetrics(labels, scores, threshold);
      close(at.accuracy, expected.accuracy);
      close(at.precision, expected.precision);
      close(at.recall, expected.recall);
      close(at.f1, expected.f1);
      expect(confusionMatrix(labels, scores, threshold)).toEqual(expected.confusion);
      const roc = rocCurve(labels, scores);
      closeAll(roc.fpr, expected.roc.fpr);
      closeAll(roc.tpr, expected.roc.tpr);
      // scikit-learn 1.2 starts at max(score) + 1, 1.3+ at +inf (as we do): compare the rest.
      expect(roc.thresholds[0]).toBe(Number.POSITIVE_INFINITY);
      closeAll(roc.thresholds.slice(1), expected.roc.thresholds.slice(1));
      const pr = precisionRecallCurve(labels, scores);
      closeAll(pr.precision, expected.pr.precision);
      closeAll(pr.recall, expected.pr.recall);
      closeAll(pr.thresholds, expected.pr.thresholds);
      const bins = calibrationBins(labels, scores, 10);
      closeAll(
        bins.map((b) => b.fractionPositive),
        expected.calibration.fraction_positive,
      );
      closeAll(
        bins.map((b) => b.meanPredicted),
        expected.calibration.mean_predicted,
      );
      const flat = computeMetrics('binary', labels, scores, { threshold });
      close(flat.auc, expected.auc);
      close(flat.f1, expected.f1);
    });
  }

  it('refuses AUC when one class is missing', () => {
    expect(() => rocAuc([1, 1], [0.2, 0.4])).toThrow(/both classes/);
  });
});

describe('multiclass metrics match scikit-learn', () => {
  for (const c of load('multiclass.json')) {
    it(c.name, () => {
      const { labels, probabilities, classes, expected } = c;
      const got = multiclassMetrics(labels, probabilities, classes);
      close(got.accuracy, expected.accuracy);
      close(got.macro_f1, expected.macro_f1);
      close(got.weighted_f1, expected.weighted_f1);
      close(got.log_loss, expected.log_loss);
      const figures = perClassFigures(labels, argmaxRows(probabilities, classes), classes);
      figures.forEach((f, k) => {
        close(f.precision, expected.per_class[k].precision);
        close(f.recall, expected.per_class[k].recall);
        close(f.f1, expected.per_class[k].f1);
        expect(f.support).toBe(expected.per_class[k].support);
      });
    });
  }
});

describe('regression metrics match scikit-learn', () => {
  for (const c of load('regression.json')) {
    it(c.name, () => {
      const got = regressionMetrics(c.actual, c.predicted);
      close(got.rmse, c.expected.rmse);
      close(got.mae, c.expected.mae);
      close(got.r2, c.expected.r2);
    });
  }
});

describe('regressionOf', () => {
  it('is positive when the challenger is worse, whichever way the metric runs', () => {
    expect(regressionOf('auc', 0.7, 0.72)).toBeCloseTo(0.02, 12);
    expect(regressionOf('log_loss', 0.45, 0.4)).toBeCloseTo(0.05, 12);
    expect(regressionOf('auc', 0.75, 0.72)).toBeLessThan(0);
  });
});
