import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread whose entry is a TypeScript (or JavaScript) module.
 * @param entry URL of the module, e.g. `new URL('./playout-worker.ts', import.meta.url)`
 * @param workerData structured-cloneable data the entry reads from `workerData`
 */
export function spawnWorker(entry: URL, workerData: Record<string, unknown> = {}, options: WorkerOptions = {}): Worker {
  return new Worker(new URL('./worker-boot.mjs', import.meta.url), {
    ...options,
    workerData: { ...workerData, __entry: entry.href },
  });
}

/** Wall-clock time in epoch ms with sub-ms resolution, comparable across threads. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
