import { describe, expect, it } from 'vitest';
import {
  columnsFromArrays,
  columnsFromRecords,
  columnsFromSplit,
  type ModelContract,
} from '../../src/serve/contract.ts';
import { InputError } from '../../src/serve/errors.ts';

/**
 * Building model columns from request bodies, without the HTTP door's schema in front: values land
 * in their columns (null as '' or NaN), and a wrong value is an InputError naming its field.
 */
const contract: ModelContract = {
  inputs: [
    { name: 'origin', type: 'string' },
    { name: 'distance', type: 'float' },
  ],
  task: 'classification',
  labelType: 'int64',
};

const fieldOf = (build: () => unknown): string => {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).message;
  }
  throw new Error('no error');
};

describe('model columns from request bodies', () => {
  it('fill the columns in the model input order, missing values as "" and NaN', () => {
    const records = columnsFromRecords(
      contract,
      [
        { distance: 100, origin: 'LAS' },
        { origin: null, distance: null },
      ],
      'instances',
    );
    expect(records.rows).toBe(2);
    expect(records.columns[0]).toEqual(['LAS', '']);
    expect(Array.from(records.columns[1] as Float32Array)).toEqual([100, Number.NaN]);
    const split = columnsFromSplit(contract, ['distance', 'origin'], [[250, 'SFO']], 'dataframe_split');
    expect(split.columns[0]).toEqual(['SFO']);
    expect(Array.from(split.columns[1] as Float32Array)).toEqual([250]);
    const arrays = columnsFromArrays(
      contract,
      new Map([
        ['origin', { values: ['JFK'], path: 'inputs[0].data' }],
        ['distance', { values: [3], path: 'inputs[1].data' }],
      ]),
    );
    expect(arrays.columns[0]).toEqual(['JFK']);
  });

  it('name the field of a wrong value', () => {
    expect(
      fieldOf(() =>
        columnsFromRecords(
          contract,
          [
            { origin: 'LAS', distance: 1 },
            { origin: 'LAS', distance: '400' },
          ],
          'instances',
        ),
      ),
    ).toBe('instances[1].distance: must be a number or null (numeric), got the string "400"');
    expect(
      fieldOf(() => columnsFromRecords(contract, [{ origin: 7, distance: 1 }], 'dataframe_records')),
    ).toBe('dataframe_records[0].origin: must be a string (categorical), got a number');
    expect(fieldOf(() => columnsFromRecords(contract, [{ origin: 'LAS' }], 'instances'))).toBe(
      'instances[0].distance: is missing',
    );
    expect(
      fieldOf(() => columnsFromSplit(contract, ['origin', 'distance'], [['LAS', [1]]], 'dataframe_split')),
    ).toBe('dataframe_split.data[0][1] (distance): must be a number or null (numeric), got an array');
    expect(
      fieldOf(() =>
        columnsFromArrays(
          contract,
          new Map([
            ['origin', { values: ['JFK', true], path: 'inputs[0].data' }],
            ['distance', { values: [3, 4], path: 'inputs[1].data' }],
          ]),
        ),
      ),
    ).toBe('inputs[0].data[1]: must be a string (categorical), got a boolean');
  });
});
