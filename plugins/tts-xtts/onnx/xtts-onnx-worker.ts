/**
 * Worker thread entry of the XTTS onnx backend (issue 13): holds one model directory's onnxruntime
 * sessions and runs everything that touches them — load, warm-up, voice cloning, and the inference loop
 * (tokenizer, GPT prefill and decode steps, sampler, vocoder, chunk stitcher). onnxruntime-node's
 * `session.run` computes synchronously on the calling thread (it only defers to `setImmediate`), so on the
 * main thread every GPT step would stall the game loop; here it stalls only this worker.
 *
 * Requests run concurrently (each synth has its own KV cache; their steps interleave). `cancel` aborts a
 * request's controller; since every `session.run` yields to the event loop first, the message is read
 * between two steps and the inference loop stops before the next one (xtts-inference.ts checks before
 * every step). A routed synth posts its blocks to the playout thread and ends the chunk there before the
 * main thread hears the outcome. A protocol error (unknown message) throws and ends the worker: a bug,
 * which the main thread reports as a crash to every request in flight.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { nowMs } from '../../../server/threads/spawn-worker.ts';
import { seededRandom } from '../../../server/util/seeded-random.ts';
import type { SourceMessage } from '../../../server/playout/playout-protocol.ts';
import { CpuFallbackSessions } from './cpu-fallback-sessions.ts';
import { computeSpeakerLatents, readMonoWav } from './speaker-conditioning.ts';
import { warmUpXtts } from './warm-up.ts';
import { xttsInferenceStream } from './xtts-inference.ts';
import { XttsOnnxModel } from './xtts-onnx-model.ts';
import type { EventMessage, FailedMessage, ResultMessage, XttsWorkerControl, XttsWorkerData, XttsWorkerMessage, XttsWorkerRequest } from './worker-protocol.ts';

if (!parentPort) throw new Error('xtts-onnx-worker.ts must run as a worker thread');
const port = parentPort;
const data = workerData as XttsWorkerData;
const post = (m: XttsWorkerMessage, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

/** One per worker, so a reload after eviction neither retries a GPU provider that failed nor warns again. */
const sessions = new CpuFallbackSessions({
  log: { warn: (fields, message) => post({ type: 'warn', fields, message }) },
  onFallback: (reason) => post({ type: 'cpu-fallback', reason }),
  ...(data.cudaLibraries ? { cudaLibraries: () => data.cudaLibraries! } : {}),
});

let model: XttsOnnxModel | undefined;
/** The playout thread's port, once connected. */
let playout: MessagePort | undefined;
/** Requests in flight, by id: aborted by `cancel`. */
const inflight = new Map<number, AbortController>();

function loaded(): XttsOnnxModel {
  if (!model) throw new Error('no XTTS model is loaded in the onnx worker');
  return model;
}

/** Runs one request to its final reply. */
async function handle(req: XttsWorkerRequest, signal: AbortSignal): Promise<ResultMessage> {
  switch (req.type) {
    case 'load': {
      // The main thread's model manager is the truth: a copy it does not know of (a load it gave up) goes first.
      await model?.release();
      model = undefined;
      const progress = (fraction: number, note?: string) => post({ type: 'progress', id: req.id, fraction, ...(note === undefined ? {} : { note }) });
      const m = await XttsOnnxModel.load(req.dir, req.sessionOptions, progress, signal, sessions.open);
      if (signal.aborted) {
        await m.release();
        signal.throwIfAborted();
      }
      model = m;
      return { type: 'loaded', id: req.id, info: { shape: model.gpt.shape, sizeBytes: model.sizeBytes } };
    }
    case 'warm-up':
      await warmUpXtts(loaded(), signal);
      return { type: 'done', id: req.id };
    case 'unload': {
      const m = model;
      model = undefined;
      await m?.release();
      return { type: 'done', id: req.id };
    }
    case 'clone': {
      const refs = await Promise.all(req.references.map((path) => readMonoWav(path)));
      return { type: 'cloned', id: req.id, latents: await computeSpeakerLatents(loaded(), refs) };
    }
    case 'synth':
      return synthesize(req, signal);
    default:
      throw new Error(`xtts onnx worker: unknown request type ${JSON.stringify((req as { type?: unknown }).type)}`);
  }
}

async function synthesize(req: Extract<XttsWorkerRequest, { type: 'synth' }>, signal: AbortSignal): Promise<ResultMessage> {
  const m = loaded();
  const route = req.route && playout ? req.route : undefined;
  const target = playout;
  const { seed, ...rest } = req.settings;
  const settings = { ...rest, random: seed === undefined ? Math.random : seededRandom(seed) };
  const onStage = req.stages ? (stage: 'prefill' | 'decode' | 'vocoder', ms: number) => post({ type: 'stage', id: req.id, stage, ms }) : undefined;
  let samples = 0;
  try {
    const ids = m.tokenizer.encode(req.text, req.language);
    for await (const block of xttsInferenceStream(m, ids, req.voice, settings, signal, onStage)) {
      if (block.length === 0) continue;
      const length = block.length; // before the transfer empties `block`
      samples += length;
      if (route) {
        target!.postMessage({ type: 'block', route, samples: block, postedAtMs: nowMs() } satisfies SourceMessage, [block.buffer as ArrayBuffer]);
        post({ type: 'routed', id: req.id, samples: length });
      } else {
        post({ type: 'block', id: req.id, samples: block } satisfies EventMessage, [block.buffer as ArrayBuffer]);
      }
    }
  } finally {
    // Complete, failed or cancelled: the playout thread hears it before the main thread does.
    if (route) target!.postMessage({ type: 'chunk-end', route } satisfies SourceMessage);
  }
  return { type: 'done', id: req.id, samples };
}

port.on('message', (msg: XttsWorkerRequest | XttsWorkerControl) => {
  if (msg?.type === 'connect') {
    playout?.close();
    playout = msg.port;
    return;
  }
  if (msg?.type === 'cancel') {
    inflight.get(msg.id)?.abort();
    return;
  }
  if (!['load', 'warm-up', 'unload', 'clone', 'synth'].includes(msg?.type)) {
    throw new Error(`xtts onnx worker: unknown message type ${JSON.stringify((msg as { type?: unknown })?.type)}`);
  }
  const controller = new AbortController();
  inflight.set(msg.id, controller);
  handle(msg, controller.signal).then(
    (reply) => post(reply),
    (err: unknown) => {
      const aborted = controller.signal.aborted;
      post({ type: 'failed', id: msg.id, message: err instanceof Error ? err.message : String(err), aborted } satisfies FailedMessage);
    },
  ).finally(() => inflight.delete(msg.id));
});
