import type { ModelContract } from '../src/serve/contract.ts';

/**
 * JSON schemas of the request bodies, derived from the loaded model's inputs: one property per
 * feature, `string` (or null for missing) for categoricals, `number` (or null) for numerics, all
 * required. They drive validation (a 400 naming the field) and the OpenAPI document. Sizes are
 * bounded here so huge arrays are refused before any work is done (413).
 */
export interface SchemaLimits {
  maxRequestRows: number;
}

const scalar = { type: ['string', 'number', 'null'] };

export function featureRecordSchema(contract: ModelContract | undefined): object {
  if (!contract) return { type: 'object', description: 'one value per feature' };
  return {
    type: 'object',
    description: 'one value per feature column of the model',
    required: contract.inputs.map((i) => i.name),
    properties: Object.fromEntries(
      contract.inputs.map((input) => [
        input.name,
        input.type === 'string'
          ? { type: ['string', 'null'], maxLength: 1024, description: 'categorical (null: missing)' }
          : { type: ['number', 'null'], description: 'numeric (null: missing)' },
      ]),
    ),
  };
}

export function predictBodySchema(contract: ModelContract | undefined, limits: SchemaLimits): object {
  return {
    type: 'object',
    required: ['instances'],
    properties: {
      instances: {
        type: 'array',
        minItems: 1,
        maxItems: limits.maxRequestRows,
        items: featureRecordSchema(contract),
      },
    },
  };
}

export const predictResponseSchema = {
  type: 'object',
  properties: {
    model: { type: 'string' },
    version: { type: 'integer' },
    predictions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          label: { type: ['integer', 'string'] },
          score: { type: 'number' },
          probabilities: { type: 'array', items: { type: 'number' } },
        },
      },
    },
  },
};

/** MLflow's scoring server formats: `dataframe_split`, `dataframe_records`, `instances`, `inputs`. */
export function invocationsBodySchema(contract: ModelContract | undefined, limits: SchemaLimits): object {
  const rows = {
    type: 'array',
    minItems: 1,
    maxItems: limits.maxRequestRows,
    items: featureRecordSchema(contract),
  };
  const width = contract ? contract.inputs.length + 64 : 1024;
  return {
    type: 'object',
    minProperties: 1,
    properties: {
      dataframe_split: {
        type: 'object',
        required: ['columns', 'data'],
        properties: {
          columns: { type: 'array', maxItems: width, items: { type: 'string' } },
          index: { type: 'array', maxItems: limits.maxRequestRows },
          data: {
            type: 'array',
            minItems: 1,
            maxItems: limits.maxRequestRows,
            items: { type: 'array', maxItems: width, items: scalar },
          },
        },
      },
      dataframe_records: rows,
      instances: rows,
      inputs: rows,
      params: { type: 'object' },
    },
  };
}

export const invocationsResponseSchema = {
  type: 'object',
  properties: { predictions: { type: 'array', items: { type: ['integer', 'string', 'number'] } } },
};

/** Open Inference Protocol v2 inference request: one tensor per feature, data flat or nested [N][1]. */
export function inferBodySchema(contract: ModelContract | undefined, limits: SchemaLimits): object {
  const names = contract?.inputs.map((i) => i.name);
  return {
    type: 'object',
    required: ['inputs'],
    properties: {
      id: { type: 'string', maxLength: 256 },
      parameters: { type: 'object' },
      inputs: {
        type: 'array',
        minItems: 1,
        maxItems: 256,
        items: {
          type: 'object',
          required: ['name', 'shape', 'datatype', 'data'],
          properties: {
            name: names ? { type: 'string', enum: names } : { type: 'string' },
            shape: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'integer', minimum: 0 } },
            datatype: {
              type: 'string',
              enum: [
                'BYTES',
                'FP32',
                'FP64',
                'FP16',
                'INT8',
                'INT16',
                'INT32',
                'INT64',
                'UINT8',
                'UINT16',
                'UINT32',
                'UINT64',
              ],
            },
            parameters: { type: 'object' },
            data: {
              type: 'array',
              maxItems: limits.maxRequestRows,
              items: { anyOf: [scalar, { type: 'array', minItems: 1, maxItems: 1, items: scalar }] },
            },
          },
        },
      },
      outputs: {
        type: 'array',
        maxItems: 16,
        items: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, parameters: { type: 'object' } },
        },
      },
    },
  };
}

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' } },
};
