import { spawnSync } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../serving/app.ts';
import { createMetrics } from '../../serving/metrics.ts';
import type { InferenceService } from '../../src/serve/service.ts';
import { expectedScore, FEATURES, sampleRow, writeFixtureEnv } from './fixture-model.ts';
import { serviceWith, tempDir } from './helpers.ts';

let app: FastifyInstance;
let service: InferenceService;
let cleanup: () => Promise<void>;

async function appFor(svc: InferenceService, maxRequestRows = 1000): Promise<FastifyInstance> {
  const metrics = createMetrics();
  metrics.attach(svc);
  return buildApp({
    service: svc,
    metrics,
    bodyLimit: 256 * 1024,
    maxRequestRows,
    logger: pino({ level: 'silent' }),
  });
}

beforeAll(async () => {
  const temp = await tempDir();
  cleanup = temp.cleanup;
  const env = await writeFixtureEnv(temp.dir);
  service = serviceWith(env.manifestPath, env.remote, {
    workers: 1,
    batcher: { maxBatchRows: 256, maxQueueRows: 4096, maxDelayMs: 0, maxRequestRows: 1000 },
  });
  await service.start();
  app = await appFor(service);
});
afterAll(async () => {
  await app?.close();
  await service?.close();
  await cleanup();
});

const json = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
  });

const tensors = (rows: Array<Record<string, string | number | null>>) =>
  FEATURES.map((f) => ({
    name: f.name,
    shape: [rows.length, 1],
    datatype: f.kind === 'categorical' ? 'BYTES' : 'FP32',
    data: rows.map((r) => [r[f.name]]),
  }));

describe('inference routes', () => {
  const rows = [sampleRow(1), sampleRow(2), { ...sampleRow(3), distance: null }];

  it('serves health, server and model metadata (Open Inference Protocol v2)', async () => {
    expect((await app.inject('/v2/health/live')).json()).toEqual({ live: true });
    expect((await app.inject('/v2/health/ready')).json()).toEqual({ ready: true });
    expect((await app.inject('/v2')).json()).toMatchObject({ name: 'mlship' });
    const meta = (await app.inject('/v2/models/flight-delay')).json();
    expect(meta.inputs).toEqual(
      FEATURES.map((f) => ({
        name: f.name,
        datatype: f.kind === 'categorical' ? 'BYTES' : 'FP32',
        shape: [-1, 1],
      })),
    );
    expect((await app.inject('/v2/models/flight-delay/versions/3/ready')).json()).toEqual({
      name: 'flight-delay',
      ready: true,
    });
    expect((await app.inject('/v2/models/other')).statusCode).toBe(404);
    expect((await app.inject('/v2/models/flight-delay/versions/9')).statusCode).toBe(404);
  });

  it('predicts the same through /predict, /invocations (3 formats) and /v2 infer', async () => {
    const predict = await json('/predict', { instances: rows }, { 'x-request-id': 'req-42' });
    expect(predict.statusCode).toBe(200);
    expect(predict.headers['x-request-id']).toBe('req-42');
    const body = predict.json();
    expect(body.model).toBe('flight-delay');
    body.predictions.forEach((p: { score: number; label: number; probabilities: number[] }, i: number) => {
      expect(p.score).toBeCloseTo(expectedScore(rows[i]), 5);
      expect(p.label).toBe(p.score > 0.5 ? 1 : 0);
      expect(p.probabilities[1]).toBe(p.score);
    });
    const labels = body.predictions.map((p: { label: number }) => p.label);
    const columns = FEATURES.map((f) => f.name).reverse();
    for (const payload of [
      { dataframe_split: { columns, data: rows.map((r) => columns.map((c) => r[c])) } },
      { dataframe_records: rows },
      { instances: rows },
    ]) {
      const response = await json('/invocations', payload);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ predictions: labels });
    }
    const infer = await json('/v2/models/flight-delay/versions/3/infer', {
      id: 'abc',
      inputs: tensors(rows),
    });
    expect(infer.statusCode).toBe(200);
    const out = infer.json();
    expect(out).toMatchObject({ model_name: 'flight-delay', model_version: '3', id: 'abc' });
    expect(out.outputs[0]).toEqual({ name: 'label', datatype: 'INT64', shape: [3], data: labels });
    expect(out.outputs[1].shape).toEqual([3, 2]);
    expect(out.outputs[1].data[1]).toBe(body.predictions[0].score);
    const only = await json('/v2/models/flight-delay/infer', {
      inputs: tensors(rows),
      outputs: [{ name: 'label' }],
    });
    expect(only.json().outputs.map((o: { name: string }) => o.name)).toEqual(['label']);
  });

  it('answers 404 for an unknown model and an unknown route, whatever the body', async () => {
    expect((await json('/v2/models/other/infer', { inputs: [] })).statusCode).toBe(404);
    const missing = await app.inject('/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatch(/no route/);
  });

  it('serves an OpenAPI document whose request schemas name the features, and Prometheus metrics', async () => {
    const doc = (await app.inject('/openapi.json')).json();
    const schema = doc.paths['/predict'].post.requestBody.content['application/json'].schema;
    expect(schema.properties.instances.items.required).toEqual(FEATURES.map((f) => f.name));
    expect(schema.properties.instances.items.properties.origin.type).toEqual(['string', 'null']);
    expect(doc.paths['/v2/models/{name}/infer']).toBeDefined();
    const metrics = (await app.inject('/metrics')).body;
    for (const series of [
      'mlship_requests_total{method="POST",route="/predict",status="200"}',
      'mlship_request_duration_seconds_bucket',
      'mlship_predicted_rows_total',
      'mlship_batch_size_bucket',
      'mlship_queue_depth',
      'mlship_model_info{model="flight-delay",version="3"',
      'mlship_prediction_score_bucket',
      'mlship_feature_psi{feature="dep_hour"}',
      'mlship_score_psi',
      'mlship_capture_rows_total',
      'process_resident_memory_bytes',
    ]) {
      expect(metrics).toContain(series);
    }
    // Prometheus's own linter accepts the service's series (names, types, units, histograms). It
    // objects only to prom-client's stock nodejs_active_*_total gauges, kept under their usual names.
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(lint.error).toBeUndefined();
    const problems = `${lint.stdout}${lint.stderr}`.split('\n').filter((line) => line.trim());
    expect(problems.filter((line) => !/^nodejs_active_\w+_total non-counter/.test(line))).toEqual([]);
  });

  it('names the field and the problem in a 400', async () => {
    const wrong = await json('/predict', { instances: [{ ...rows[0], distance: '400' }] });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error).toBe('instances[0].distance: must be a number or null');
    const missing = await json('/predict', { instances: [rows[0], { origin: 'LAS' }] });
    expect(missing.json().error).toBe('instances[1].destination: is missing');
    const oip = await json('/v2/models/flight-delay/infer', {
      inputs: tensors(rows).map((t, i) => (i === 2 ? { ...t, datatype: 'BYTES' } : t)),
    });
    expect(oip.json().error).toMatch(/^inputs\[2\]\.datatype: must be a numeric datatype/);
    const split = await json('/invocations', { dataframe_split: { columns: ['origin'], data: [['LAS']] } });
    expect(split.json().error).toBe('dataframe_split.columns: is missing feature "destination"');
  });

  it('answers every malformed body with a 4xx and stays healthy', async () => {
    const deepArray = `{"instances":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    const deepObject = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    const manyRows = { instances: Array.from({ length: 1001 }, (_, i) => sampleRow(i)) };
    const corpus: Array<[string, string, string | Buffer | object, string?]> = [
      ['wrong type: string for number', '/predict', { instances: [{ ...rows[0], dep_hour: '17' }] }],
      ['wrong type: number for category', '/predict', { instances: [{ ...rows[0], origin: 7 }] }],
      ['wrong type: boolean', '/predict', { instances: [{ ...rows[0], day_of_week: true }] }],
      ['wrong type: object in a cell', '/predict', { instances: [{ ...rows[0], distance: { v: 1 } }] }],
      ['instances not an array', '/predict', { instances: { origin: 'LAS' } }],
      ['rows not objects', '/predict', { instances: [1, 2] }],
      ['empty instances', '/predict', { instances: [] }],
      ['missing instances', '/predict', {}],
      ['missing feature', '/predict', { instances: [{ origin: 'LAS' }] }],
      ['null body', '/predict', 'null'],
      ['array body', '/predict', '[]'],
      ['string body', '/predict', '"x"'],
      ['empty body', '/predict', ''],
      ['truncated JSON', '/predict', '{"instances": [{"origin": "LAS"'],
      ['NaN literal', '/predict', '{"instances":[{"distance":NaN}]}'],
      ['proto pollution', '/predict', '{"__proto__":{"instances":[]},"constructor":{"prototype":{"x":1}}}'],
      ['too many rows', '/predict', manyRows],
      ['body over the limit', '/predict', { instances: [{ ...rows[0], origin: 'x'.repeat(300_000) }] }],
      ['huge category string', '/predict', { instances: [{ ...rows[0], origin: 'x'.repeat(5000) }] }],
      ['deeply nested arrays', '/predict', deepArray],
      ['deeply nested objects', '/invocations', deepObject],
      ['invalid UTF-8', '/predict', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
      ['text/plain', '/predict', 'instances', 'text/plain'],
      ['form body', '/predict', 'instances=1', 'application/x-www-form-urlencoded'],
      ['csv body', '/invocations', 'origin\nLAS', 'text/csv'],
      ['two MLflow formats', '/invocations', { instances: rows, dataframe_records: rows }],
      ['no MLflow format', '/invocations', { params: {} }],
      [
        'split rows of the wrong width',
        '/invocations',
        { dataframe_split: { columns: ['origin'], data: [[1, 2]] } },
      ],
      ['infer: no inputs', '/v2/models/flight-delay/infer', { inputs: [] }],
      [
        'infer: unknown input',
        '/v2/models/flight-delay/infer',
        { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] },
      ],
      ['infer: missing input', '/v2/models/flight-delay/infer', { inputs: tensors(rows).slice(1) }],
      [
        'infer: shape mismatch',
        '/v2/models/flight-delay/infer',
        { inputs: tensors(rows).map((t) => ({ ...t, shape: [2, 1] })) },
      ],
      [
        'infer: wide shape',
        '/v2/models/flight-delay/infer',
        { inputs: tensors(rows).map((t) => ({ ...t, shape: [1, 3] })) },
      ],
      [
        'infer: duplicate input',
        '/v2/models/flight-delay/infer',
        { inputs: [...tensors(rows), tensors(rows)[0]] },
      ],
      [
        'infer: nested too deep',
        '/v2/models/flight-delay/infer',
        { inputs: tensors(rows).map((t) => ({ ...t, data: [[[1]]] })) },
      ],
      ['infer: id not a string', '/v2/models/flight-delay/infer', { id: 5, inputs: tensors(rows) }],
      [
        'infer: unknown output',
        '/v2/models/flight-delay/infer',
        { inputs: tensors(rows), outputs: [{ name: 'x' }] },
      ],
    ];
    for (const [name, url, payload, contentType] of corpus) {
      const response = await json(url, payload, contentType ? { 'content-type': contentType } : {});
      expect(response.statusCode, name).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, name).toBeLessThan(500);
      expect(typeof response.json().error, name).toBe('string');
    }
    const statuses = async (name: string) => {
      const entry = corpus.find((c) => c[0] === name)!;
      return (await json(entry[1], entry[2], entry[3] ? { 'content-type': entry[3] } : {})).statusCode;
    };
    expect(await statuses('too many rows')).toBe(413);
    const over = corpus.find((c) => c[0] === 'body over the limit')!;
    const overResponse = await json(over[1], over[2]);
    expect(overResponse.statusCode).toBe(413);
    expect(await statuses('text/plain')).toBe(415);
    expect(await statuses('invalid UTF-8')).toBe(400);
    expect((await app.inject('/v2/health/ready')).statusCode).toBe(200);
    expect((await json('/predict', { instances: rows })).statusCode).toBe(200);
  });

  it('sheds load with 503 + Retry-After when the bounded queue is full, and recovers', async () => {
    const temp = await tempDir();
    const env = await writeFixtureEnv(temp.dir);
    const small = serviceWith(env.manifestPath, env.remote, {
      workers: 1,
      batcher: { maxBatchRows: 8, maxQueueRows: 8, maxDelayMs: 0, maxRequestRows: 8 },
    });
    await small.start();
    const smallApp = await appFor(small, 8);
    try {
      const eight = Array.from({ length: 8 }, (_, i) => sampleRow(i));
      const responses = await Promise.all(
        Array.from({ length: 40 }, () =>
          smallApp.inject({ method: 'POST', url: '/predict', payload: { instances: eight } }),
        ),
      );
      for (const response of responses) {
        expect([200, 503]).toContain(response.statusCode);
        if (response.statusCode === 503) {
          expect(response.headers['retry-after']).toBe('1');
          expect(response.json().error).toMatch(/queue is full/);
        }
      }
      const after = await smallApp.inject({ method: 'POST', url: '/predict', payload: { instances: eight } });
      expect(after.statusCode).toBe(200);
    } finally {
      await smallApp.close();
      await small.close();
      await temp.cleanup();
    }
  });

  it('is live but not ready, with the reason, when the model failed to load', async () => {
    const temp = await tempDir();
    const env = await writeFixtureEnv(temp.dir, { corrupt: true });
    const failed = serviceWith(env.manifestPath, env.remote);
    await failed.start();
    const failedApp = await appFor(failed);
    try {
      expect((await failedApp.inject('/v2/health/live')).statusCode).toBe(200);
      const ready = await failedApp.inject('/v2/health/ready');
      expect(ready.statusCode).toBe(503);
      expect(ready.json().error).toMatch(/sha256/);
      const predict = await failedApp.inject({
        method: 'POST',
        url: '/predict',
        payload: { instances: rows },
      });
      expect(predict.statusCode).toBe(503);
      expect(predict.headers['retry-after']).toBeDefined();
    } finally {
      await failedApp.close();
      await temp.cleanup();
    }
  });
});
