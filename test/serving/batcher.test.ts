import { describe, expect, it } from 'vitest';
import { DynamicBatcher } from '../../src/serve/batcher.ts';
import type { ColumnBatch, ModelContract } from '../../src/serve/contract.ts';
import { OverloadedError, TooLargeError } from '../../src/serve/errors.ts';
import type { Runner } from '../../src/serve/runner.ts';
import type { BatchOutputs } from '../../src/serve/session.ts';

// The batcher's queueing is tested against a runner the test releases by hand (so nothing depends
// on timing); real model runs are covered in service.test.ts.
const contract: ModelContract = { inputs: [{ name: 'x', type: 'float' }], task: 'regression' };

function gatedRunner(capacity: number) {
  const gates: Array<{ batch: ColumnBatch; release: () => void }> = [];
  const runner: Runner = {
    contract,
    capacity,
    run(batch) {
      return new Promise<BatchOutputs>((resolve) => {
        const values = Float32Array.from(batch.columns[0] as Float32Array, (v) => v * 2);
        gates.push({ batch, release: () => resolve({ rows: batch.rows, values, classes: 0, seconds: 0 }) });
      });
    },
    close: async () => {},
  };
  return { runner, gates };
}

const rowsOf = (...values: number[]): ColumnBatch => ({
  rows: values.length,
  columns: [Float32Array.from(values)],
});
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('DynamicBatcher', () => {
  const options = { maxBatchRows: 4, maxQueueRows: 6, maxDelayMs: 0, maxRequestRows: 5 };
  const observer = { onBatch: () => {}, onQueueDepth: () => {} };

  it('coalesces requests that wait, keeps batches within maxBatchRows, and hands each request its rows', async () => {
    const { runner, gates } = gatedRunner(1);
    const batcher = new DynamicBatcher(runner, contract, options, observer);
    const first = batcher.submit(rowsOf(1));
    await tick();
    expect(gates).toHaveLength(1);
    const waiting = [batcher.submit(rowsOf(2, 3)), batcher.submit(rowsOf(4)), batcher.submit(rowsOf(5, 6))];
    gates[0].release();
    const one = await first;
    expect(Array.from(one.batch.values!.subarray(one.offset, one.offset + one.rows))).toEqual([2]);
    await tick();
    // [2,3] and [4] fit in 4 rows; [5,6] would exceed it and waits for the next run.
    expect(gates).toHaveLength(2);
    expect(gates[1].batch.rows).toBe(3);
    gates[1].release();
    await tick();
    expect(gates).toHaveLength(3);
    gates[2].release();
    const results = await Promise.all(waiting);
    expect(results.map((r) => Array.from(r.batch.values!.subarray(r.offset, r.offset + r.rows)))).toEqual([
      [4, 6],
      [8],
      [10, 12],
    ]);
    await batcher.idle();
  });

  it('refuses work beyond the bounded queue at once (OverloadedError) and requests over the row limit', async () => {
    const { runner, gates } = gatedRunner(1);
    const batcher = new DynamicBatcher(runner, contract, options, observer);
    const running = batcher.submit(rowsOf(1));
    await tick();
    const queued = [batcher.submit(rowsOf(1, 2, 3)), batcher.submit(rowsOf(4, 5, 6))];
    await expect(batcher.submit(rowsOf(7))).rejects.toBeInstanceOf(OverloadedError);
    await expect(batcher.submit(rowsOf(1, 2, 3, 4, 5, 6))).rejects.toBeInstanceOf(TooLargeError);
    gates[0].release();
    await running;
    await tick();
    gates[1].release();
    await tick();
    gates[2].release();
    await Promise.all(queued);
    const idle = batcher.idle();
    await expect(idle).resolves.toBeUndefined();
  });

  it('fails every request of a batch whose run fails, and keeps serving', async () => {
    let fail = true;
    const runner: Runner = {
      contract,
      capacity: 1,
      run: async (batch) => {
        if (fail) throw new Error('boom');
        return { rows: batch.rows, values: new Float32Array(batch.rows), classes: 0, seconds: 0 };
      },
      close: async () => {},
    };
    const batcher = new DynamicBatcher(runner, contract, options, observer);
    await expect(batcher.submit(rowsOf(1))).rejects.toThrow('boom');
    fail = false;
    await expect(batcher.submit(rowsOf(1))).resolves.toMatchObject({ rows: 1 });
  });
});
