// Worker entry that loads TypeScript: Node 20 does not pass the tsx loader
// registered in the parent to worker threads, so each worker registers it
// before importing its real (TypeScript) entry, given in workerData.__entry.
import { workerData } from 'node:worker_threads';

if (workerData?.__entry?.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.__entry);
