import { Worker } from 'node:worker_threads';
import type { ColumnBatch, ModelContract } from './contract.ts';
import type { WorkerRequest } from './inference-worker.ts';
import { type BatchOutputs, createSession, type LoadedSession, runSession } from './session.ts';
import { packBatch } from './wire.ts';

/**
 * Runs model batches: on `workers` inference threads (one onnxruntime session each), or on the
 * main thread when `workers` is 0. The batcher keeps at most `capacity` batches in flight.
 */
export interface Runner {
  readonly contract: ModelContract;
  readonly capacity: number;
  run(batch: ColumnBatch): Promise<BatchOutputs>;
  close(): Promise<void>;
}

export interface RunnerLog {
  warn(object: object, message: string): void;
}

/**
 * `fetchModel` returns the verified model bytes. The pool does not keep them once its workers have
 * loaded (a model can weigh tens of megabytes); a crashed worker's replacement fetches them again.
 */
export async function startRunner(
  fetchModel: () => Promise<Uint8Array>,
  workers: number,
  log: RunnerLog,
): Promise<Runner> {
  if (workers <= 0) return new InProcessRunner(await createSession(await fetchModel()));
  const pool = new WorkerPool(fetchModel, workers, log);
  await pool.start();
  return pool;
}

class InProcessRunner implements Runner {
  readonly capacity = 1;
  constructor(private readonly loaded: LoadedSession) {}
  get contract(): ModelContract {
    return this.loaded.contract;
  }
  run(batch: ColumnBatch): Promise<BatchOutputs> {
    return runSession(this.loaded, batch);
  }
  async close(): Promise<void> {
    await this.loaded.session.release();
  }
}

interface Pending {
  resolve(outputs: BatchOutputs): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  pending: Map<number, Pending>;
}

type WorkerReply =
  | { type: 'loaded'; contract: ModelContract }
  | { type: 'result'; id: number; outputs: BatchOutputs }
  | { type: 'error'; id: number; message: string };

class WorkerPool implements Runner {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closing = false;
  contract!: ModelContract;

  constructor(
    private readonly fetchModel: () => Promise<Uint8Array>,
    readonly capacity: number,
    private readonly log: RunnerLog,
  ) {}

  async start(): Promise<void> {
    const model = await this.fetchModel();
    // A fresh copy each: the fetched bytes may be a view into a larger (pooled) buffer.
    try {
      const contracts = await Promise.all(
        Array.from({ length: this.capacity }, (_, i) => this.spawn(i, new Uint8Array(model))),
      );
      this.contract = contracts[0];
    } catch (error) {
      // A model that does not load leaves no thread behind.
      await this.close();
      throw error;
    }
  }

  /**
   * Starts the worker of slot `index` and loads the model; a crashed worker is replaced the same
   * way. `model` is transferred to the worker (and so detached here): nothing on this thread keeps
   * the bytes, which the worker drops once its session is built.
   */
  private spawn(index: number, model: Uint8Array): Promise<ModelContract> {
    const worker = spawnWorker();
    const slot: Slot = { worker, ready: false, pending: new Map() };
    this.slots[index] = slot;
    return new Promise((resolve, reject) => {
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'loaded') {
          slot.ready = true;
          resolve(reply.contract);
          return;
        }
        if (reply.type === 'error' && reply.id === -1) {
          reject(new Error(`the model does not load: ${reply.message}`));
          return;
        }
        const pending = slot.pending.get(reply.id);
        if (!pending) return;
        slot.pending.delete(reply.id);
        if (reply.type === 'result') pending.resolve(reply.outputs);
        else pending.reject(new Error(`inference failed: ${reply.message}`));
      });
      const fail = (error: Error) => {
        slot.ready = false;
        for (const pending of slot.pending.values()) pending.reject(error);
        slot.pending.clear();
        reject(error);
        if (!this.closing && this.slots[index] === slot) {
          this.log.warn({ err: error, worker: index }, 'inference worker stopped; starting a new one');
          this.fetchModel()
            .then((bytes) => this.spawn(index, new Uint8Array(bytes)))
            .catch((respawnError) =>
              this.log.warn({ err: respawnError, worker: index }, 'inference worker did not restart'),
            );
        }
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`inference worker exited with code ${code}`)));
      const load: WorkerRequest = { type: 'load', model };
      worker.postMessage(load, [model.buffer as ArrayBuffer]);
    });
  }

  run(batch: ColumnBatch): Promise<BatchOutputs> {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (slot?.ready && (!best || slot.pending.size < best.pending.size)) best = slot;
    }
    if (!best) return Promise.reject(new Error('no inference worker is running'));
    const id = this.nextId++;
    const slot = best;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      const { packed, transfer } = packBatch(batch);
      const message: WorkerRequest = { type: 'run', id, batch: packed };
      slot.worker.postMessage(message, transfer);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}

/**
 * From sources (tests, `tsx`), the worker loads tsx's loader before importing its TypeScript
 * module; from the compiled image it is a plain `.js` file.
 */
function spawnWorker(): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(`./inference-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return new Worker(url);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(code, { eval: true });
}
