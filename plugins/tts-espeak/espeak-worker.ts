/**
 * Worker thread entry: one warm espeak-ng instance (@echogarden/espeak-ng-emscripten, GPL-3,
 * used only here) that synthesizes one request at a time and posts each audio block as espeak's
 * callback delivers it (~100 ms of audio per block), so playback can start while the rest of the
 * chunk is still being synthesized. A request with a route (issue 13) posts its blocks straight to
 * the assembly thread on the port the main thread connected (`connect`), and only their lengths to the
 * main thread; others post the blocks to the main thread.
 *
 * espeak's synth call is synchronous, so messages are not read while it runs; cancellation
 * comes instead through the shared cancel slot (see {@link EspeakWorkerData.cancel}), read in
 * every audio callback. A protocol error (unknown message) throws and ends the worker: it is a
 * bug, and the main thread treats it as a crash.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { nowMs } from '../../server/threads/spawn-worker.ts';
import type { ESpeakNGWorker } from '@echogarden/espeak-ng-emscripten';
import type { SourceMessage } from '../../server/playout/playout-protocol.ts';
import type { ConnectMessage, DoneMessage, EspeakVoiceInfo, EspeakWorkerData, FailedMessage, SynthMessage } from './protocol.ts';

if (!parentPort) throw new Error('espeak-worker.ts must run as a worker thread');
const port = parentPort;
const data = workerData as EspeakWorkerData;
const cancelSlot = new Int32Array(data.cancel);

/** espeak's int16 full scale; dividing by it maps samples into [-1, 1). */
const INT16_SCALE = 32768;

// espeak runs in SSML mode in this build (tags in text are interpreted), so text is escaped.
function escapeForSsml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function listVoices(instance: ESpeakNGWorker): EspeakVoiceInfo[] {
  return instance.list_voices().map((v) => ({
    name: v.identifier.slice(v.identifier.lastIndexOf('/') + 1).toLowerCase(),
    title: v.name,
    languages: v.languages.map((l) => l.name.toLowerCase()),
  }));
}

/** Warm-up text and voice (see below); any voice warms the shared synthesis code. */
const WARMUP_TEXT = 'The door creaks open, revealing a dusty hall lit by flickering torches.';
const WARMUP_VOICE = 'en-us';
const WARMUP_ROUNDS = 8;

let instance: ESpeakNGWorker;
try {
  const t0 = performance.now();
  const { default: initEspeak } = await import('@echogarden/espeak-ng-emscripten');
  const module = await initEspeak();
  instance = new module.eSpeakNGWorker();
  instance.set_rate(data.rate);
  instance.set_pitch(data.pitch);
  const instantiationMs = performance.now() - t0;
  // This build is wasm2js (plain JS), so V8 tiers it up over the first calls: measured here, a fresh
  // instance took ~300 ms per 100-character chunk for ~8 chunks before settling at ~20 ms. Eight
  // throw-away sentences at start-up take most of that off the first chunks: with 3 rounds (~350 ms) the
  // first narration after start measured TTFA 54–132 ms; with 8 (~600 ms) 30–52 ms (say, 3 runs each).
  const t1 = performance.now();
  instance.set_voice(WARMUP_VOICE);
  for (let i = 0; i < WARMUP_ROUNDS; i++) instance.synthesize(WARMUP_TEXT, () => 0);
  const warmupMs = performance.now() - t1;
  port.postMessage({ type: 'ready', sampleRate: instance.samplerate, voices: listVoices(instance), instantiationMs, warmupMs });
} catch (err) {
  port.postMessage({ type: 'init-failed', message: (err as Error)?.message ?? String(err) });
  process.exit(1);
}

let currentVoice: string | undefined = WARMUP_VOICE;
/** The assembly thread's port (ThreadedPlayout.openSource), once connected. */
let playout: MessagePort | undefined;

function synthesize(msg: SynthMessage): void {
  const { id } = msg;
  const route = msg.route && playout ? msg.route : undefined;
  let ended = false;
  // A routed chunk is ended on the assembly thread before the main thread hears of the outcome.
  const reply = (m: DoneMessage | FailedMessage): void => {
    if (route && !ended) playout!.postMessage({ type: 'chunk-end', route } satisfies SourceMessage);
    ended = true;
    port.postMessage(m);
  };
  run(msg, route, reply);
}

function run(msg: SynthMessage, route: SynthMessage['route'], reply: (m: DoneMessage | FailedMessage) => void): void {
  const { id } = msg;
  const isCancelled = (): boolean => Atomics.load(cancelSlot, 0) === id;
  if (isCancelled()) {
    const now = nowMs();
    reply({ type: 'done', id, started: false, cancelled: true, samples: 0, blocks: 0, words: 0, startedAt: now, endedAt: now });
    return;
  }
  if (msg.voice !== currentVoice) {
    const code = instance.set_voice(msg.voice);
    if (code !== 0) {
      currentVoice = undefined;
      reply({ type: 'failed', id, message: `espeak-ng rejected voice "${msg.voice}" (espeak_ERROR ${code})` });
      return;
    }
    currentVoice = msg.voice;
    // Re-applied after a voice change so a voice file can never leave its own rate/pitch behind.
    instance.set_rate(data.rate);
    instance.set_pitch(data.pitch);
  }
  let samples = 0;
  let blocks = 0;
  let words = 0;
  let cancelled = false;
  let firstBlockAt: number | undefined;
  const startedAt = nowMs();
  const text = escapeForSsml(msg.text);
  // With a read-ahead, audio stops at the first word event past the chunk's own text (positions
  // are 1-based UTF-16 indexes into the text espeak was given; audio positions are ms).
  const readAhead = msg.readAhead ? ` ${escapeForSsml(msg.readAhead)}` : '';
  let cutAt = Infinity;
  instance.synthesize(text + readAhead, (pcm, events) => {
    for (const e of events) {
      if (e.type !== 'word') continue;
      if (readAhead && e.text_position > text.length) {
        cutAt = Math.min(cutAt, Math.round((e.audio_position * instance.samplerate) / 1000));
      } else {
        words++;
      }
    }
    if (isCancelled()) {
      cancelled = true;
      return 1;
    }
    const take = Math.max(0, Math.min(pcm.length, cutAt - samples));
    if (take > 0) {
      const block = new Float32Array(take);
      for (let i = 0; i < take; i++) block[i] = pcm[i] / INT16_SCALE;
      samples += block.length; // before the transfer empties `block`
      blocks++;
      firstBlockAt ??= nowMs();
      if (route) {
        playout!.postMessage({ type: 'block', route, samples: block, postedAtMs: nowMs() } satisfies SourceMessage, [block.buffer]);
        port.postMessage({ type: 'routed', id, samples: take });
      } else {
        port.postMessage({ type: 'block', id, samples: block }, [block.buffer]);
      }
    }
    return samples >= cutAt ? 1 : 0; // 1: stop (speak_lib.h), the rest is read-ahead
  });
  reply({ type: 'done', id, started: true, cancelled, samples, blocks, words, startedAt, firstBlockAt, endedAt: nowMs() });
}

port.on('message', (msg: SynthMessage | ConnectMessage) => {
  if (msg?.type === 'connect') {
    playout?.close();
    playout = msg.port;
    return;
  }
  if (msg?.type !== 'synth') throw new Error(`espeak worker: unknown message type ${JSON.stringify((msg as { type?: unknown })?.type)}`);
  synthesize(msg);
});
