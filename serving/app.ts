import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { ColumnBatch, ModelContract } from '../src/serve/contract.ts';
import { columnsFromArrays, columnsFromRecords, columnsFromSplit } from '../src/serve/contract.ts';
import {
  InputError,
  NotReadyError,
  OverloadedError,
  TooLargeError,
  UnknownModelError,
} from '../src/serve/errors.ts';
import type { InferenceService, Prediction } from '../src/serve/service.ts';
import type { ServiceMetrics } from './metrics.ts';
import {
  errorSchema,
  inferBodySchema,
  invocationsBodySchema,
  invocationsResponseSchema,
  predictBodySchema,
  predictResponseSchema,
} from './schemas.ts';

/**
 * The HTTP door of the inference service: Open Inference Protocol v2 REST, `POST /predict`,
 * MLflow's `POST /invocations`, `/metrics` and the OpenAPI document. Every error is
 * `{"error": "..."}` with its status; nothing a client sends can crash the process.
 */
export interface AppOptions {
  service: InferenceService;
  metrics: ServiceMetrics;
  /** Largest request body in bytes (413 beyond). */
  bodyLimit: number;
  maxRequestRows: number;
  /** The process's pino logger; Fastify adds request ids to it. */
  logger: import('pino').Logger;
}

const VERSION = '0.1.0';

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { service, metrics } = options;
  const contract = service.model?.contract;
  const limits = { maxRequestRows: options.maxRequestRows };
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    requestIdHeader: 'x-request-id',
    // One access line per request (below) instead of Fastify's two: half the logging cost on the
    // hot path, the same request id, method, URL, status and time.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIds(),
    return503OnClosing: true,
    // Types are checked as sent: "5" is not a number and 5 is not a category.
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, allowUnionTypes: true },
    },
  });

  // JSON bodies are parsed here, not by Fastify's parser, to refuse invalid UTF-8 (which would
  // otherwise become U+FFFD characters and silently unknown categories).
  // Only JSON is accepted: any other content type (text/plain included) is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(httpError(400, 'the body is not valid UTF-8'), undefined);
      return;
    }
    try {
      done(null, JSON.parse(bytes.toString('utf8')));
    } catch (error) {
      done(httpError(400, `the body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });

  // Callback-style hooks: an async hook costs a promise and a microtask per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // A no-op unless the level is debug (pino skips disabled levels before building anything).
    request.log.debug({ method: request.method, url: request.url }, 'incoming request');
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const ms = reply.elapsedTime;
    const status = reply.statusCode;
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', status, ms / 1000);
    request.log.info(
      { method: request.method, url: request.url, status, ms: Math.round(ms * 100) / 100 },
      'request completed',
    );
    done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, message, retryAfter } = classify(error);
    if (status >= 500 && status !== 503) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status, reason: message }, 'request refused');
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
    reply.status(status).send({ error: message });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'mlship inference service',
        version: VERSION,
        description: service.model
          ? `Serves ${service.model.name} v${service.model.version} (sha256 ${service.model.sha256}).`
          : 'The model did not load; see /v2/health/ready.',
      },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const errors = { 400: errorSchema, 404: errorSchema, 413: errorSchema, 503: errorSchema };

  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_request, reply) => {
    if (service.state === 'ready') return { ready: true };
    reply.status(503);
    return { ready: false, state: service.state, ...(service.reason ? { error: service.reason } : {}) };
  });
  app.get('/v2', async () => ({ name: 'mlship', version: VERSION, extensions: [] }));

  const modelOf = (params: { name: string; version?: string }) => {
    const model = service.model;
    if (!model) throw new NotReadyError(`the model is not loaded: ${service.reason ?? service.state}`);
    if (params.name !== model.name)
      throw new UnknownModelError(`model ${params.name} is not served here (this serves ${model.name})`);
    if (params.version !== undefined && params.version !== String(model.version)) {
      throw new UnknownModelError(
        `model ${model.name} version ${params.version} is not served here (this serves v${model.version})`,
      );
    }
    return model;
  };

  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get(prefix, async (request) => {
      const model = modelOf(request.params as { name: string; version?: string });
      return {
        name: model.name,
        versions: [String(model.version)],
        platform: 'onnxruntime_onnx',
        inputs: model.contract.inputs.map((input) => ({
          name: input.name,
          datatype: input.type === 'string' ? 'BYTES' : 'FP32',
          shape: [-1, 1],
        })),
        outputs:
          model.contract.task === 'regression'
            ? [{ name: 'value', datatype: 'FP32', shape: [-1] }]
            : [
                {
                  name: 'label',
                  datatype: model.contract.labelType === 'string' ? 'BYTES' : 'INT64',
                  shape: [-1],
                },
                { name: 'probabilities', datatype: 'FP32', shape: [-1, -1] },
              ],
      };
    });
    app.get(`${prefix}/ready`, async (request, reply) => {
      const model = modelOf(request.params as { name: string; version?: string });
      const ready = service.state === 'ready';
      if (!ready) reply.status(503);
      return { name: model.name, ready };
    });
    app.post(
      `${prefix}/infer`,
      {
        schema: { body: inferBodySchema(contract, limits), response: errors },
        // An unknown model is a 404 whatever the body says.
        preValidation: async (request) => {
          modelOf(request.params as { name: string; version?: string });
        },
      },
      async (request) => {
        const model = modelOf(request.params as { name: string; version?: string });
        const body = request.body as InferRequest;
        const batch = inferColumns(model.contract, body);
        const prediction = await service.predict(batch, request.id);
        return inferResponse(model, body, prediction);
      },
    );
  }

  app.post(
    '/predict',
    {
      schema: {
        body: predictBodySchema(contract, limits),
        response: { 200: predictResponseSchema, ...errors },
      },
    },
    async (request) => {
      const model = modelOf({ name: service.model?.name ?? '' });
      const { instances } = request.body as { instances: unknown[] };
      const prediction = await service.predict(
        columnsFromRecords(model.contract, instances, 'instances'),
        request.id,
      );
      const predictions = new Array(prediction.rows);
      for (let r = 0; r < prediction.rows; r++) {
        predictions[r] = prediction.labels
          ? {
              label: prediction.labels[r],
              score: prediction.scores[r],
              probabilities: prediction.probabilities![r],
            }
          : { score: prediction.scores[r] };
      }
      return { model: model.name, version: model.version, predictions };
    },
  );

  app.post(
    '/invocations',
    {
      schema: {
        body: invocationsBodySchema(contract, limits),
        response: { 200: invocationsResponseSchema, ...errors },
      },
    },
    async (request) => {
      const model = modelOf({ name: service.model?.name ?? '' });
      const batch = invocationColumns(model.contract, request.body as Record<string, unknown>);
      const prediction = await service.predict(batch, request.id);
      // MLflow's pyfunc answers the label for classifiers and the value for regressors.
      return { predictions: prediction.labels ?? Array.from(prediction.scores) };
    },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return app as unknown as FastifyInstance;
}

interface InferTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

interface InferRequest {
  id?: string;
  inputs: InferTensor[];
  outputs?: Array<{ name: string }>;
}

function inferColumns(contract: ModelContract, body: InferRequest): ColumnBatch {
  const arrays = new Map<string, { values: unknown[]; path: string }>();
  body.inputs.forEach((tensor, i) => {
    const path = `inputs[${i}]`;
    const input = contract.inputs.find((candidate) => candidate.name === tensor.name);
    if (!input) throw new InputError(`${path}.name`, `"${tensor.name}" is not an input of the model`);
    if (arrays.has(tensor.name)) throw new InputError(`${path}.name`, `"${tensor.name}" is given twice`);
    const wanted = input.type === 'string' ? 'BYTES' : 'a numeric datatype (FP32, FP64, INT32, INT64, ...)';
    if ((input.type === 'string') !== (tensor.datatype === 'BYTES')) {
      throw new InputError(
        `${path}.datatype`,
        `must be ${wanted} for ${tensor.name}, got ${tensor.datatype}`,
      );
    }
    const values = tensor.data.map((value) => (Array.isArray(value) ? value[0] : value));
    const rows = tensor.shape[0];
    if (tensor.shape.length === 2 && tensor.shape[1] !== 1) {
      throw new InputError(
        `${path}.shape`,
        `must be [N] or [N, 1] (one feature per input), got [${tensor.shape}]`,
      );
    }
    if (rows !== values.length) {
      throw new InputError(
        `${path}.data`,
        `has ${values.length} values but shape [${tensor.shape}] needs ${rows}`,
      );
    }
    arrays.set(tensor.name, { values, path: `${path}.data` });
  });
  const batch = columnsFromArrays(contract, arrays);
  if (batch.rows === 0) throw new InputError('inputs', 'carry no rows');
  return batch;
}

function inferResponse(
  model: { name: string; version: number; contract: ModelContract },
  body: InferRequest,
  prediction: Prediction,
) {
  const rows = prediction.rows;
  const all =
    model.contract.task === 'regression'
      ? [{ name: 'value', datatype: 'FP32', shape: [rows], data: Array.from(prediction.scores) }]
      : [
          {
            name: 'label',
            datatype: model.contract.labelType === 'string' ? 'BYTES' : 'INT64',
            shape: [rows],
            data: prediction.labels!,
          },
          {
            name: 'probabilities',
            datatype: 'FP32',
            shape: [rows, prediction.probabilities![0]?.length ?? 0],
            data: prediction.probabilities!.flat(),
          },
        ];
  let outputs = all;
  if (body.outputs?.length) {
    const known = new Set(all.map((o) => o.name));
    body.outputs.forEach((o, i) => {
      if (!known.has(o.name))
        throw new InputError(`outputs[${i}].name`, `"${o.name}" is not an output of the model`);
    });
    const wanted = new Set(body.outputs.map((o) => o.name));
    outputs = all.filter((o) => wanted.has(o.name));
  }
  return {
    model_name: model.name,
    model_version: String(model.version),
    ...(body.id !== undefined ? { id: body.id } : {}),
    outputs,
  };
}

function invocationColumns(contract: ModelContract, body: Record<string, unknown>): ColumnBatch {
  const formats = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'].filter(
    (key) => key in body,
  );
  if (formats.length !== 1) {
    throw new InputError(
      '(body)',
      formats.length === 0
        ? 'must have one of dataframe_split, dataframe_records, instances or inputs'
        : `must have only one of ${formats.join(', ')}`,
    );
  }
  const format = formats[0];
  if (format === 'dataframe_split') {
    const split = body.dataframe_split as { columns: unknown[]; data: unknown[] };
    return columnsFromSplit(contract, split.columns, split.data, 'dataframe_split');
  }
  return columnsFromRecords(contract, body[format] as unknown[], format);
}

/**
 * Request ids for requests that come without `x-request-id`: a random per-process prefix and a
 * counter. Unique across processes (48 random bits) and within one (the counter), and much cheaper
 * than a random UUID per request.
 */
export function requestIds(): () => string {
  const prefix = randomBytes(6).toString('base64url');
  let next = 0;
  return () => `${prefix}-${(next++).toString(36)}`;
}

function httpError(statusCode: number, message: string): FastifyError {
  return Object.assign(new Error(message), {
    statusCode,
    code: 'MLSHIP_BAD_BODY',
    name: 'BadBody',
  }) as FastifyError;
}

interface Classified {
  status: number;
  message: string;
  retryAfter?: number;
}

/** Maps an error to its status and the message the client sees. */
function classify(error: FastifyError): Classified {
  if (error.validation && error.validation.length > 0) {
    const issue = error.validation[0];
    const field = fieldPath(error.validationContext ?? 'body', issue.instancePath);
    if (issue.keyword === 'maxItems') {
      return { status: 413, message: `${field}: too many items (at most ${issue.params.limit})` };
    }
    if (issue.keyword === 'required') {
      const missing = (issue.params as { missingProperty: string }).missingProperty;
      return {
        status: 400,
        message: `${field === 'body' ? '' : `${field}.`}${missing}: is missing`.replace(/^\./, ''),
      };
    }
    if (issue.keyword === 'enum') {
      const allowed = (issue.params as { allowedValues: unknown[] }).allowedValues;
      return {
        status: 400,
        message: `${field}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`,
      };
    }
    if (issue.keyword === 'type') {
      const type = (issue.params as { type: string | string[] }).type;
      const types = (Array.isArray(type) ? type : String(type).split(',')).map((t) =>
        t === 'null' ? 'null' : `a ${t}`,
      );
      return { status: 400, message: `${field}: must be ${types.join(' or ')}` };
    }
    return { status: 400, message: `${field}: ${issue.message ?? 'is invalid'}` };
  }
  if (error instanceof InputError) return { status: 400, message: error.message };
  if (error instanceof TooLargeError) return { status: 413, message: error.message };
  if (error instanceof OverloadedError)
    return { status: 503, message: error.message, retryAfter: error.retryAfterSeconds };
  if (error instanceof NotReadyError) return { status: 503, message: error.message, retryAfter: 5 };
  if (error instanceof UnknownModelError) return { status: 404, message: error.message };
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
  if (status < 500) return { status, message: error.message };
  // A stack overflow while validating a pathological body is the body's fault, not the server's.
  if (error instanceof RangeError)
    return { status: 400, message: 'the body is nested or sized beyond what is accepted' };
  return { status, message: 'internal error; the request id in the logs has the details' };
}

/** `/instances/0/dep_delay` -> `instances[0].dep_delay`. */
function fieldPath(context: string, instancePath: string): string {
  if (!instancePath) return context === 'body' ? 'body' : context;
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

export type { FastifyReply, FastifyRequest };
