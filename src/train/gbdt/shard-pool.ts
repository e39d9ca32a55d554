import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createShardKernel, type ShardCommand, type ShardInit, type ShardKernel } from './kernels.ts';

/**
 * Runs the shard kernels: some on this thread, the rest on worker threads that share the
 * SharedArrayBuffers. The number of shards is fixed by the trainer and the threads only decide
 * where they run, so a model does not depend on how many threads trained it.
 *
 * Workers run the kernel from its source text (`createShardKernel.toString()`), not from a module
 * file: no TypeScript loader is needed in the worker, and a bundled action still finds its code.
 */
export class ShardPool {
  private constructor(
    private readonly local: ShardKernel[],
    private readonly workers: Worker[],
  ) {}

  /** How many threads to use when the caller does not say: both cores (or all) where rows are many. */
  static defaultThreads(numRows: number): number {
    return numRows >= 50_000 ? Math.min(2, availableParallelism()) : 1;
  }

  static async create(inits: ShardInit[], threads: number): Promise<ShardPool> {
    const workerCount = Math.max(0, Math.min(threads, inits.length) - 1);
    // Shard i goes to thread i % (workers + 1); thread 0 is this one.
    const groups: ShardInit[][] = Array.from({ length: workerCount + 1 }, () => []);
    inits.forEach((init, index) => {
      groups[index % (workerCount + 1)].push(init);
    });
    const local = groups[0].map(createShardKernel);
    const workers = await Promise.all(groups.slice(1).map(startWorker));
    return new ShardPool(local, workers);
  }

  /** Runs one command on every shard and returns each shard's result (local shards first). */
  async run(command: ShardCommand): Promise<number[]> {
    const pending = this.workers.map((worker) => request(worker, command));
    const results = this.local.map((kernel) => kernel.run(command));
    for (const result of await Promise.all(pending)) results.push(...result);
    return results;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

const WORKER_SOURCE = `
'use strict';
// Bundlers and esbuild's keepNames may wrap functions in __name(); here it is the identity.
const __name = (f) => f;
const { parentPort, workerData } = require('node:worker_threads');
const createShardKernel = ${createShardKernel.toString()};
const kernels = workerData.map((init) => createShardKernel(init));
parentPort.on('message', (command) => {
  try {
    parentPort.postMessage({ results: kernels.map((kernel) => kernel.run(command)) });
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.stack) || error) });
  }
});
`;

async function startWorker(inits: ShardInit[]): Promise<Worker> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: inits });
  await new Promise<void>((resolve, reject) => {
    worker.once('online', resolve);
    worker.once('error', reject);
  });
  // A worker that exits never answers: make its pending request fail instead of hanging.
  worker.on('error', () => {});
  return worker;
}

function request(worker: Worker, command: ShardCommand): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { results?: number[]; error?: string }) => {
      cleanup();
      if (message.error) reject(new Error(`gbdt worker: ${message.error}`));
      else resolve(message.results!);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`gbdt worker exited with code ${code}`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(command);
  });
}
