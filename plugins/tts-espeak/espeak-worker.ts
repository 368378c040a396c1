/**
 * Worker thread entry: one warm espeak-ng instance (@echogarden/espeak-ng-emscripten, GPL-3,
 * used only here) that synthesizes one request at a time and posts each audio block to the
 * main thread as espeak's callback delivers it (~100 ms of audio per block), so playback can
 * start while the rest of the chunk is still being synthesized.
 *
 * espeak's synth call is synchronous, so messages are not read while it runs; cancellation
 * comes instead through the shared cancel slot (see {@link EspeakWorkerData.cancel}), read in
 * every audio callback. A protocol error (unknown message) throws and ends the worker: it is a
 * bug, and the main thread treats it as a crash.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nowMs } from '../../server/threads/spawn-worker.ts';
import type { ESpeakNGWorker } from '@echogarden/espeak-ng-emscripten';
import type { DoneMessage, EspeakVoiceInfo, EspeakWorkerData, SynthMessage } from './protocol.ts';

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

function synthesize(msg: SynthMessage): void {
  const { id } = msg;
  const isCancelled = (): boolean => Atomics.load(cancelSlot, 0) === id;
  if (isCancelled()) {
    const now = nowMs();
    const done: DoneMessage = { type: 'done', id, started: false, cancelled: true, samples: 0, blocks: 0, words: 0, startedAt: now, endedAt: now };
    port.postMessage(done);
    return;
  }
  if (msg.voice !== currentVoice) {
    const code = instance.set_voice(msg.voice);
    if (code !== 0) {
      currentVoice = undefined;
      port.postMessage({ type: 'failed', id, message: `espeak-ng rejected voice "${msg.voice}" (espeak_ERROR ${code})` });
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
      port.postMessage({ type: 'block', id, samples: block }, [block.buffer]);
    }
    return samples >= cutAt ? 1 : 0; // 1: stop (speak_lib.h), the rest is read-ahead
  });
  const done: DoneMessage = { type: 'done', id, started: true, cancelled, samples, blocks, words, startedAt, firstBlockAt, endedAt: nowMs() };
  port.postMessage(done);
}

port.on('message', (msg: SynthMessage) => {
  if (msg?.type !== 'synth') throw new Error(`espeak worker: unknown message type ${JSON.stringify(msg?.type)}`);
  synthesize(msg);
});
