import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createNarrator } from '../../server/host/narrator.ts';
import { nowMs } from '../../server/threads/spawn-worker.ts';
import type { RoomNarration } from '../../server/narration/room-narration.ts';
import { startOpenAiStandIn, type OpenAiStandIn, type RecordedRequest } from '../../tools/llm-stand-in/openai-stand-in.ts';
import { round, summarize, type Summary } from '../percentile.ts';
import { figure, type Figure } from '../report.ts';
import { sleep } from '../util.ts';

/**
 * The issue-14 schedule: a large main model at 800 ms to first token and 25 tokens/s, a small
 * prelude model at 150 ms and 80 tokens/s (a 14B and a 1.5B model on one consumer GPU, roughly;
 * plugins/llm-openai/README.md gives measured figures of real models).
 */
export const LLM_SCHEDULE = { main: { ttftMs: 800, tokensPerSecond: 25 }, prelude: { ttftMs: 150, tokensPerSecond: 80 } } as const;

const MAIN_REPLY =
  'Candlelight flickers across a low, smoky room crowded with rough wooden tables. A bard tunes a cracked lute by the hearth, '
  + 'while the innkeeper, a broad woman with flour on her sleeves, watches every newcomer with narrowed eyes.';
const PRELUDE_REPLY = 'The tavern door swings open. Warmth and noise spill out to greet you.';

/** Event → first audio and what our path adds, with or without the prelude. */
export interface LlmPathResult {
  /** Event received → first frame handed to the sinks (report TTFA), ms. */
  readonly firstAudioMs: Summary;
  /**
   * First audio minus the moment the model (the prelude model, with a prelude) had written the text
   * that makes the first chunk safe (see safeAtMs), ms. What our path adds: SSE parsing, filtering,
   * chunking, synthesis of the first chunk, the frame grid.
   */
  readonly addedMs: Summary;
  /** First audio minus the model's first token past the first chunk, ms (for the main model alone: one token more than {@link addedMs}'s point). */
  readonly afterFirstTokenPastMs: Summary;
  /** The first chunk's text (the same every iteration). */
  readonly firstChunk: string;
  /** Narrations played to their end: underruns and silence inside them (the wait for the main model after the first chunk or the prelude). */
  readonly played: { readonly narrations: number; readonly underruns: number; readonly gapMs: number; readonly audioMs: number };
}

export interface LlmBenchResult {
  readonly iterations: number;
  readonly schedule: typeof LLM_SCHEDULE;
  readonly withoutPrelude: LlmPathResult;
  readonly withPrelude: LlmPathResult;
}

/**
 * The `llm` section (issue 14): game event → first audio through a rule with an `llm` prompt, the
 * espeak-ng engine and a stand-in OpenAI-compatible server on the {@link LLM_SCHEDULE} (no model
 * runs: the figures are our path's, on the model's schedule). Each narration is cancelled at its
 * first frame; 30–70 ms between narrations.
 */
export async function measureLlm(options: { quick: boolean; progress: (msg: string) => void }): Promise<LlmBenchResult> {
  const iterations = options.quick ? 6 : 20;
  const played = options.quick ? 1 : 3;
  const llm = await startOpenAiStandIn({
    main: { reply: MAIN_REPLY, ...LLM_SCHEDULE.main, prefill: 'continue' },
    small: { reply: PRELUDE_REPLY, ...LLM_SCHEDULE.prelude },
  });
  try {
    options.progress(`llm: ${iterations} events, main model alone`);
    const withoutPrelude = await measurePath(llm, iterations, played, false);
    options.progress(`llm: ${iterations} events, with the prelude model`);
    const withPrelude = await measurePath(llm, iterations, played, true);
    return { iterations, schedule: LLM_SCHEDULE, withoutPrelude, withPrelude };
  } finally {
    await llm.close();
  }
}

async function measurePath(llm: OpenAiStandIn, iterations: number, playedCount: number, prelude: boolean): Promise<LlmPathResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vrpg-bench-llm-'));
  const narrator = await createNarrator({
    engine: 'espeak', sinks: ['wav'], recordingsDir: dir, log: { level: 'error' },
    plugins: { 'tts-espeak': {}, 'llm-openai': { url: llm.url, model: 'main', ...(prelude ? { prelude: { model: 'small' } } : {}) } },
    rules: { enter_location: { llm: { prompt: 'The party enters {location}. Describe it in two sentences.' } } },
  }, { log: pino({ level: 'error' }) });
  const first: number[] = [];
  const added: number[] = [];
  const pastChunk: number[] = [];
  let firstChunk = '';
  const played = { narrations: 0, underruns: 0, gapMs: 0, audioMs: 0 };
  try {
    const room = await narrator.openRoom(`bench-llm-${prelude ? 'prelude' : 'main'}`);
    for (let i = 0; i < iterations; i++) {
      const from = llm.requests.length;
      const receivedAtMs = nowMs();
      const caption = firstCaption(room);
      const n = room.event('enter_location', { location: 'the Prancing Pony' }, { receivedAtMs });
      const chunk = await caption(n.id);
      room.cancel([n.id]);
      const report = await n.done;
      if (report.ttfaMs === null) throw new Error(`llm bench: narration ${i} played no audio (${report.error ?? 'no error'})`);
      const source = llm.requests.slice(from).find((r) => r.model === (prelude ? 'small' : 'main'));
      if (!source) throw new Error('llm bench: the stand-in saw no request');
      first.push(report.ttfaMs);
      added.push(report.ttfaMs - (safeAtMs(source, chunk, !prelude) - receivedAtMs));
      pastChunk.push(report.ttfaMs - (safeAtMs(source, chunk, false) - receivedAtMs));
      firstChunk = chunk;
      await Promise.all(llm.requests.slice(from).map((r) => r.closed));
      await sleep(30 + 40 * ((i * 7919) % 10) / 10);
    }
    for (let i = 0; i < playedCount; i++) {
      const report = await room.event('enter_location', { location: 'the Prancing Pony' }).done;
      if (report.error) throw new Error(`llm bench: a played narration failed: ${report.error}`);
      played.narrations++;
      played.underruns += report.underruns;
      played.gapMs += report.gapMs;
      played.audioMs += report.audioMs;
    }
    await room.close();
  } finally {
    await narrator.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { firstAudioMs: summarize(first), addedMs: summarize(added), afterFirstTokenPastMs: summarize(pastChunk), firstChunk, played };
}

/** Resolves with the text of a narration's first caption (its first frame left the frame clock). */
function firstCaption(room: RoomNarration): (id: string) => Promise<string> {
  const seen = new Map<string, string>();
  const waiting = new Map<string, (text: string) => void>();
  const off = room.on('caption', (c) => {
    if (c.index !== 0) return;
    seen.set(c.narrationId, c.text);
    waiting.get(c.narrationId)?.(c.text);
  });
  return (id) => new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`llm bench: no first audio of ${id} within 30 s`)), 30_000);
    const done = (text: string) => {
      clearTimeout(timer);
      off();
      resolve(text);
    };
    const known = seen.get(id);
    if (known !== undefined) done(known);
    else waiting.set(id, done);
  });
}

/**
 * When the model had written enough for the first chunk to be safe, epoch ms. Past a chunk ending at
 * a pause, the streaming chunker must see the next word whole (closed by the space that follows it:
 * `low, and` is a conjunction pause, `low, andirons` is not) — `wholeNextWord`; the prelude's
 * sentence is cut by the writer as soon as a space follows its end mark. With `wholeNextWord`
 * false this is the first token past the chunk (the earliest any streaming consumer could know).
 * The last token when the answer ended first.
 */
function safeAtMs(request: RecordedRequest, chunk: string, wholeNextWord: boolean): number {
  const text = request.tokens.map((t) => t.text).join('');
  let need = text.indexOf(chunk.trim()) + chunk.trim().length + 1;
  if (wholeNextWord) {
    const next = /^\s*\S+/.exec(text.slice(need - 1));
    if (next) need += next[0].length;
  }
  let length = 0;
  for (const t of request.tokens) {
    length += t.text.length;
    if (length >= need) return t.atMs;
  }
  const last = request.tokens.at(-1);
  if (!last) throw new Error('llm bench: the model wrote nothing');
  return last.atMs;
}

/** The section's table rows. */
export function llmFigures(r: LlmBenchResult): Figure[] {
  const s = r.schedule;
  const schedule = `main ${s.main.ttftMs} ms + ${s.main.tokensPerSecond} tok/s, prelude ${s.prelude.ttftMs} ms + ${s.prelude.tokensPerSecond} tok/s (stand-in)`;
  const row = (path: LlmPathResult, key: string, label: string): Figure[] => [
    figure({ id: `llm.${key}.first.p50`, label: `Event → first audio p50, ${label}`, value: round(path.firstAudioMs.p50), unit: 'ms', samples: path.firstAudioMs.n, note: schedule }),
    figure({ id: `llm.${key}.first.p95`, label: `Event → first audio p95, ${label}`, value: round(path.firstAudioMs.p95), unit: 'ms', samples: path.firstAudioMs.n,
      note: `first chunk "${path.firstChunk.slice(0, 48)}${path.firstChunk.length > 48 ? '…' : ''}"` }),
    figure({
      id: `llm.${key}.added.p95`, label: `Added beyond the model's first safe chunk p95, ${label}`, value: round(path.addedMs.p95), unit: 'ms',
      target: { op: '<=', value: 50 }, samples: path.addedMs.n,
      note: `p50 ${round(path.addedMs.p50)} ms, max ${round(path.addedMs.max)} ms; espeak-ng synthesis of the first chunk and the 20 ms frame grid included`,
    }),
    figure({
      id: `llm.${key}.afterFirstTokenPast.p95`, label: `First audio after the first token past the chunk p95, ${label}`, value: round(path.afterFirstTokenPastMs.p95), unit: 'ms',
      samples: path.afterFirstTokenPastMs.n,
      note: key === 'main' ? 'includes the chunker\'s look-ahead of one whole word (one token here)' : 'the same point as the row above for the prelude',
    }),
    figure({
      id: `llm.${key}.played.gapMs`, label: `Silence inside played narrations, ${label}`, value: round(path.played.gapMs), unit: 'ms', samples: path.played.narrations,
      note: `${path.played.narrations} narrations, ${round(path.played.audioMs / 1000, 1)} s of audio, ${path.played.underruns} underruns: the wait for the model after the first chunk`,
    }),
  ];
  return [...row(r.withoutPrelude, 'main', 'main model alone'), ...row(r.withPrelude, 'prelude', 'with prelude')];
}
