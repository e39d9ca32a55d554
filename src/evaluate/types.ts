import type { ScoreSummary } from './summary.ts';

/** One gate of mlship.yaml applied to the challenger. */
export interface GateResult {
  metric: string;
  gate: 'min' | 'max' | 'max_regression';
  /** The bound from mlship.yaml. */
  limit: number;
  /** The challenger's value (min/max) or its regression against the champion (max_regression). */
  actual: number | null;
  status: 'pass' | 'fail' | 'skipped';
  /** By how much the gate failed (positive), or the headroom left (negative); null when skipped. */
  margin: number | null;
  /** One sentence a reviewer reads: what was compared and the outcome. */
  detail: string;
}

/** A model scored on the held-out data. */
export interface ScoredModel {
  role: 'challenger' | 'champion';
  runId: string;
  /** Registry version (champion only). */
  version?: number;
  sha256: string;
  metrics: Record<string, number>;
  summary: ScoreSummary;
  featureImportance?: Record<string, number>;
}

export interface ChampionRef {
  version: number;
  runId: string;
  sha256: string;
  metrics: Record<string, number>;
}

/** `runs/<run-id>/evaluation.json`: what register checks before it registers a run. */
export interface EvaluationRecord {
  schema: 1;
  model: string;
  runId: string;
  /** sha256 of the challenger's model.onnx that was evaluated. */
  sha256: string;
  createdAt: string;
  task: 'binary' | 'multiclass' | 'regression';
  passed: boolean;
  /** Held-out rows both models were scored on, and the tracked paths they came from. */
  rows: number;
  testData: string[];
  metrics: Record<string, number>;
  champion: ChampionRef | null;
  /** challenger - champion, per metric both have. */
  deltas: Record<string, number>;
  gates: GateResult[];
  /** Store key of the HTML report. */
  reportKey: string;
}

export interface EvaluationResult extends EvaluationRecord {
  /** Local path of the HTML report. */
  reportPath: string;
  /** Markdown for the PR comment and the job summary (same content). */
  markdown: string;
}
