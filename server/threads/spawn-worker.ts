import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * The URL of a module next to the caller, with the caller's own extension: `.ts` when running
 * from source (tsx), `.js` when running the compiled package. A worker entry must be named this
 * way: `new URL('./x.ts', import.meta.url)` would survive compilation unchanged and point at a
 * file the package does not ship.
 * @param baseName the module's path relative to the caller, without extension (`./playout-worker`)
 * @param callerUrl the caller's `import.meta.url`
 */
export function siblingModule(baseName: string, callerUrl: string): URL {
  const ext = /\.[cm]?[jt]s$/.exec(new URL(callerUrl).pathname)?.[0] ?? '.js';
  return new URL(`${baseName}${ext}`, callerUrl);
}

/**
 * Starts a worker thread whose entry is a compiled JavaScript module, or a TypeScript one in a
 * source checkout (loaded through server/threads/worker-boot.mjs, which registers tsx first).
 * @param entry URL of the module, from {@link siblingModule}
 * @param workerData structured-cloneable data the entry reads from `workerData`
 */
export function spawnWorker(entry: URL, workerData: Record<string, unknown> = {}, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { ...options, workerData });
  return new Worker(new URL('./worker-boot.mjs', import.meta.url), {
    ...options,
    workerData: { ...workerData, __entry: entry.href },
  });
}

/** Wall-clock time in epoch ms with sub-ms resolution, comparable across threads. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
