import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as Naudiodon from 'naudiodon';

/** The naudiodon module's API (PortAudio bindings), as its index.d.ts types it. */
export type NaudiodonBinding = typeof Naudiodon;

const requireFromHere = createRequire(import.meta.url);
let cached: NaudiodonBinding | undefined;

/**
 * Loads naudiodon (PortAudio) on first use, once per thread.
 *
 * naudiodon's index.js also loads `segfault-handler`, a native addon that is not
 * context-aware: Node loads it in one thread of a process only and throws
 * "Module did not self-register" in any other (a second playout worker, or the main
 * thread after a worker). naudiodon itself is a Node-API addon and loads in every
 * thread, so on that error the crash-log handler is replaced by a no-op for this
 * thread and naudiodon is loaded again.
 *
 * Note that naudiodon keeps its AudioIO constructor in a process-wide reference set
 * by the thread that loaded it last: open streams from one thread per process (the
 * playout thread).
 *
 * @throws Error naming the reason when the native module cannot be loaded
 *   (not built, libportaudio/libasound missing).
 */
export function loadNaudiodon(): NaudiodonBinding {
  if (cached) return cached;
  try {
    cached = requireFromHere('naudiodon') as NaudiodonBinding;
  } catch (err) {
    if (!/did not self-register/.test(String((err as Error)?.message))) {
      throw new Error(`cannot load naudiodon (PortAudio): ${(err as Error)?.message ?? err}`, { cause: err });
    }
    const handlerPath = requireFromHere.resolve('segfault-handler', {
      paths: [dirname(requireFromHere.resolve('naudiodon'))],
    });
    const stub = new Module(handlerPath);
    stub.exports = { registerHandler() {} };
    stub.loaded = true;
    requireFromHere.cache[handlerPath] = stub;
    cached = requireFromHere('naudiodon') as NaudiodonBinding;
  }
  return cached;
}
