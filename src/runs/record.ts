import type { ModelSignature } from '../model/signature.ts';

/** `runs/<run-id>/run.json`: everything needed to understand and reproduce one training run. */
export interface DataLineage {
  /** Tracked path -> md5 (from data.lock) of every input the run read. */
  train: Record<string, string>;
  test: Record<string, string>;
}

export interface SearchTrial {
  params: Record<string, number | string | boolean>;
  metrics: Record<string, number>;
  seconds: number;
}

export interface RunRecord {
  schema: 1;
  runId: string;
  model: string;
  createdAt: string;
  trainer: { type: string; params: Record<string, number | string | boolean> };
  features: Array<{ name: string; kind: 'categorical' | 'numeric' }>;
  target: string;
  signature: ModelSignature;
  metrics: { validation: Record<string, number>; test: Record<string, number> };
  /** Baseline (linear) metrics on the same test data, so every run shows what it beat. */
  baseline?: { validation: Record<string, number>; test: Record<string, number> };
  featureImportance?: Record<string, number>;
  search?: SearchTrial[];
  data: DataLineage;
  git: { commit: string | null; dirty: boolean };
  timings: Record<string, number>;
  environment: {
    node: string;
    platform: string;
    arch: string;
    cpus: number;
    mlship: string;
    onnxruntime?: string;
  };
  artifacts: { model: { sha256: string; bytes: number }; profile: { sha256: string } };
  rows: { train: number; validation: number; test: number };
}
