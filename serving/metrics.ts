import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from 'prom-client';
import type { InferenceService, ServiceObserver } from '../src/serve/service.ts';

/**
 * The service's Prometheus series (names as gitops/monitoring's rules and dashboard read them):
 *   mlship_requests_total{method,route,status}            requests answered
 *   mlship_request_duration_seconds{method,route,status}  request latency (histogram)
 *   mlship_predicted_rows_total                           rows scored
 *   mlship_batch_size                                     rows per model run (histogram)
 *   mlship_inference_duration_seconds                     onnxruntime time per model run (histogram)
 *   mlship_queue_depth                                    rows waiting for a model run
 *   mlship_model_info{model,version,sha256,environment}   1 for the model served
 *   mlship_model_ready                                    1 once verified, loaded and warmed
 *   mlship_prediction_score                               score distribution (histogram)
 *   mlship_feature_psi{feature}                           PSI of the sliding window vs the profile
 *   mlship_score_psi                                      the same for the score
 *   mlship_drift_window_rows{feature}                     rows in each feature's window
 *   mlship_capture_rows_total{outcome}                    captured rows written, dropped or failed
 *   mlship_capture_failures_total                         capture writes that failed
 * plus prom-client's process_* and nodejs_* metrics.
 */
export interface ServiceMetrics {
  registry: Registry;
  observer: ServiceObserver;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Sets the model info and wires the drift gauges to the loaded service. */
  attach(service: InferenceService): void;
}

export function createMetrics(): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Counted per label set in plain arrays and exposed on scrape: prom-client's labelled observe
  // validates and hashes its label object on every call, which showed in the per-request profile.
  const requests = new RequestStats(
    'mlship_requests_total',
    'HTTP requests answered, by route and status',
    'mlship_request_duration_seconds',
    'HTTP request latency',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  registry.registerMetric(requests.counter as unknown as Metric);
  registry.registerMetric(requests.histogram as unknown as Metric);
  // Per-request and per-batch figures the service already keeps are read on scrape rather than
  // pushed through prom-client on every request.
  let predictedRows = 0;
  let service: InferenceService | undefined;
  new Counter({
    name: 'mlship_predicted_rows_total',
    help: 'Rows scored',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(predictedRows);
    },
  });
  const batchSize = new BulkHistogram(
    'mlship_batch_size',
    'Rows per model run (dynamic batching)',
    [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
  );
  registry.registerMetric(batchSize as unknown as Metric);
  const inference = new BulkHistogram(
    'mlship_inference_duration_seconds',
    'onnxruntime time per model run',
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
  );
  registry.registerMetric(inference as unknown as Metric);
  new Gauge({
    name: 'mlship_queue_depth',
    help: 'Rows waiting for a model run',
    registers: [registry],
    collect() {
      this.set(service?.queueRows ?? 0);
    },
  });
  const info = new Gauge({
    name: 'mlship_model_info',
    help: 'The model this process serves (value 1)',
    labelNames: ['model', 'version', 'sha256', 'environment'],
    registers: [registry],
  });
  const ready = new Gauge({
    name: 'mlship_model_ready',
    help: '1 once the model is verified, loaded and warmed',
    registers: [registry],
  });
  const score = new BulkHistogram(
    'mlship_prediction_score',
    'Predicted score (probability of the positive class, or the value)',
    [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
  );
  registry.registerMetric(score as unknown as Metric);
  const captureRows = new Counter({
    name: 'mlship_capture_rows_total',
    help: 'Captured rows, by outcome (written, dropped when the buffer was full, failed to write)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const captureFailures = new Counter({
    name: 'mlship_capture_failures_total',
    help: 'Capture files that could not be written to the store',
    registers: [registry],
  });
  new Gauge({
    name: 'mlship_feature_psi',
    help: 'Population stability index of the sliding window of served values against the reference profile',
    labelNames: ['feature'],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of service?.featurePsi() ?? []) this.set({ feature: f.feature }, f.psi);
    },
  });
  new Gauge({
    name: 'mlship_drift_window_rows',
    help: 'Served values in the sliding drift window, per feature',
    labelNames: ['feature'],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of service?.featurePsi() ?? []) this.set({ feature: f.feature }, f.rows);
    },
  });
  new Gauge({
    name: 'mlship_score_psi',
    help: 'Population stability index of the sliding window of scores against the reference profile',
    registers: [registry],
    collect() {
      const psi = service?.scorePsi();
      if (psi !== undefined) this.set(psi);
    },
  });
  ready.set(0);
  for (const outcome of ['written', 'dropped', 'failed']) captureRows.inc({ outcome }, 0);
  return {
    registry,
    observeRequest(method, route, status, seconds) {
      requests.observe(method, route, status, seconds);
    },
    attach(served) {
      service = served;
      const model = served.model;
      if (model) {
        info.set(
          {
            model: model.name,
            version: String(model.version),
            sha256: model.sha256,
            environment: model.environment,
          },
          1,
        );
      }
    },
    observer: {
      onBatch(batchRows, seconds) {
        batchSize.observe(batchRows);
        inference.observe(seconds);
      },
      onPredicted(count, scores) {
        predictedRows += count;
        score.observeAll(scores);
      },
      onCapture(outcome, count) {
        captureRows.inc({ outcome }, count);
        if (outcome === 'failed') captureFailures.inc();
      },
      onState(state) {
        ready.set(state === 'ready' ? 1 : 0);
      },
    },
  };
}

/**
 * A label-less histogram counted in a typed array and exposed on scrape in the same exposition
 * format. prom-client's Histogram builds and hashes a label object on every observe; at one
 * observation per predicted row (scores) or per model run that showed in the profiles.
 */
class BulkHistogram {
  readonly type = 'histogram';
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: number[],
  ) {
    this.counts = new Float64Array(upperBounds.length);
  }

  observe(value: number): void {
    if (Number.isNaN(value)) return;
    this.sum += value;
    this.count++;
    const bounds = this.upperBounds;
    for (let b = 0; b < bounds.length; b++) {
      if (value <= bounds[b]) {
        this.counts[b]++;
        return;
      }
    }
  }

  observeAll(values: ArrayLike<number>): void {
    const bounds = this.upperBounds;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (Number.isNaN(value)) continue;
      this.sum += value;
      this.count++;
      for (let b = 0; b < bounds.length; b++) {
        if (value <= bounds[b]) {
          this.counts[b]++;
          break;
        }
      }
    }
  }

  get() {
    let cumulative = 0;
    const values = this.upperBounds.map((bound, b) => {
      cumulative += this.counts[b];
      return { labels: { le: bound }, value: cumulative, metricName: `${this.name}_bucket` };
    });
    values.push({
      labels: { le: '+Inf' as unknown as number },
      value: this.count,
      metricName: `${this.name}_bucket`,
    });
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: 'sum',
      values: [
        ...values,
        { labels: {}, value: this.sum, metricName: `${this.name}_sum` },
        { labels: {}, value: this.count, metricName: `${this.name}_count` },
      ],
    };
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

interface RequestSeries {
  labels: { method: string; route: string; status: string };
  /** Per bucket, not cumulative. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * Requests by method, route and status: a counter and a latency histogram fed by one call per
 * request. The series for a label set is found through nested maps keyed by the values as given
 * (no label object, no hashing, no string building), and both metrics are built on scrape.
 */
class RequestStats {
  private readonly series = new Map<string, Map<string, Map<number, RequestSeries>>>();
  readonly counter: { name: string; help: string; type: string; get(): object; reset(): void };
  readonly histogram: { name: string; help: string; type: string; get(): object; reset(): void };

  constructor(
    counterName: string,
    counterHelp: string,
    histogramName: string,
    histogramHelp: string,
    private readonly upperBounds: number[],
  ) {
    const reset = () => this.series.clear();
    this.counter = {
      name: counterName,
      help: counterHelp,
      type: 'counter',
      get: () => ({
        name: counterName,
        help: counterHelp,
        type: 'counter',
        aggregator: 'sum',
        values: this.all().map((s) => ({ labels: s.labels, value: s.count })),
      }),
      reset,
    };
    this.histogram = {
      name: histogramName,
      help: histogramHelp,
      type: 'histogram',
      get: () => ({
        name: histogramName,
        help: histogramHelp,
        type: 'histogram',
        aggregator: 'sum',
        values: this.all().flatMap((s) => this.histogramValues(histogramName, s)),
      }),
      reset,
    };
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    let byRoute = this.series.get(method);
    if (!byRoute) {
      byRoute = new Map();
      this.series.set(method, byRoute);
    }
    let byStatus = byRoute.get(route);
    if (!byStatus) {
      byStatus = new Map();
      byRoute.set(route, byStatus);
    }
    let series = byStatus.get(status);
    if (!series) {
      series = {
        labels: { method, route, status: String(status) },
        buckets: new Float64Array(this.upperBounds.length),
        sum: 0,
        count: 0,
      };
      byStatus.set(status, series);
    }
    series.count++;
    series.sum += seconds;
    const bounds = this.upperBounds;
    for (let b = 0; b < bounds.length; b++) {
      if (seconds <= bounds[b]) {
        series.buckets[b]++;
        break;
      }
    }
  }

  private all(): RequestSeries[] {
    const out: RequestSeries[] = [];
    for (const byRoute of this.series.values())
      for (const byStatus of byRoute.values()) for (const series of byStatus.values()) out.push(series);
    return out;
  }

  private histogramValues(name: string, series: RequestSeries) {
    let cumulative = 0;
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> =
      this.upperBounds.map((bound, b) => {
        cumulative += series.buckets[b];
        return { labels: { ...series.labels, le: bound }, value: cumulative, metricName: `${name}_bucket` };
      });
    values.push({
      labels: { ...series.labels, le: '+Inf' },
      value: series.count,
      metricName: `${name}_bucket`,
    });
    values.push({ labels: series.labels, value: series.sum, metricName: `${name}_sum` });
    values.push({ labels: series.labels, value: series.count, metricName: `${name}_count` });
    return values;
  }
}
