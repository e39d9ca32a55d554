import { parentPort } from 'node:worker_threads';
import { createSession, type LoadedSession, runSession } from './session.ts';
import { type PackedBatch, unpackBatch } from './wire.ts';

/**
 * An inference worker thread: owns one onnxruntime session, so a blocking `run` stalls this
 * thread and not the HTTP event loop. Messages: `load` (model bytes) -> `loaded` (contract);
 * `run` (a column batch) -> `result` (outputs, buffers transferred back).
 */
export type WorkerRequest =
  | { type: 'load'; model: Uint8Array }
  | { type: 'run'; id: number; batch: PackedBatch };

let loaded: LoadedSession | undefined;
const port = parentPort!;

port.on('message', async (message: WorkerRequest) => {
  if (message.type === 'load') {
    try {
      loaded = await createSession(message.model);
      port.postMessage({ type: 'loaded', contract: loaded.contract });
    } catch (error) {
      port.postMessage({ type: 'error', id: -1, message: (error as Error).message });
    }
    return;
  }
  try {
    if (!loaded) throw new Error('the worker has no model loaded');
    const outputs = await runSession(loaded, unpackBatch(message.batch));
    const transfer: ArrayBuffer[] = [];
    for (const array of [outputs.labels, outputs.probabilities, outputs.values]) {
      if (array && !Array.isArray(array)) transfer.push(array.buffer as ArrayBuffer);
    }
    port.postMessage({ type: 'result', id: message.id, outputs }, transfer);
  } catch (error) {
    port.postMessage({ type: 'error', id: message.id, message: (error as Error).message });
  }
});
