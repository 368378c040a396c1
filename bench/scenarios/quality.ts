/**
 * The quality section (issue 12; method in bench/README.md "Quality"): does the pipeline's chunked
 * narration sound like the engine reading the whole text at once?
 *
 * Every narration of a varied corpus ({@link QUALITY_TEXTS}, en and pt) is narrated through the
 * real pipeline (createNarrator → chunker → espeak-ng → playout thread → `capture` sink, samples
 * kept) and read by the same engine in one call. From the two signals: the pause at every chunk
 * seam (pipeline − one-call), the F0 step at mid-sentence seams, clicks; from rooms with narrations
 * queued back to back or interrupted: the silence between narrations; per narration and voice:
 * integrated loudness and true peak by two independent meters (test/support/loudness.ts); and
 * TTFA with the seam/loudness/gap shaping on and off, in one run.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { nowMs } from '../../server/threads/spawn-worker.ts';
import { normalizeForSpeech } from '../../server/text/normalize.ts';
import { continuationOf } from '../../server/text/continuation.ts';
import { concatF32 } from '../../server/audio/pcm.ts';
import { classifyBoundary } from '../../server/text/pause-points.ts';
import { pauseWordsFor } from '../../server/text/pause-words.ts';
import type { NarrationReport } from '../../server/narration/narration.ts';
import type { Narrator } from '../../server/host/narrator.ts';
import type { PlayoutEvent } from '../../server/playout/playout.ts';
import { EspeakEngine, ESPEAK_MAX_CHARS } from '../../plugins/tts-espeak/espeak-engine.ts';
import { espeakOptionsSchema } from '../../plugins/tts-espeak/options.ts';
import { CAPTURE_CHANNEL, type CaptureClosed, type CapturedFrame } from '../../test/fixtures/plugins/capture-sink/index.ts';
import { ffmpegLoudness, hasFfmpeg, libraryLoudness, type LoudnessFigures } from '../../test/support/loudness.ts';
import type { BenchEngine, BenchPipeline, BenchRoom } from '../pipeline.ts';
import { QUALITY_GAP_TEXTS, QUALITY_QUICK, QUALITY_TEXTS, SHORT_TEXTS } from '../texts.ts';
import { seededRandom, sleep } from '../util.ts';
import { round, summarize, type Summary } from '../percentile.ts';
import { figure, type Figure } from '../report.ts';
import {
  detectClicks, levelMap, longestRunNear, medianF0Before, runMs, s16ToF32, sampleAtVoiced, semitones, silenceRuns,
  soundSpan, voicedSamplesBefore, type LevelMap, type SilenceRun,
} from '../audio-analysis.ts';

/** Languages of the corpus. */
export type QualityLanguage = 'en' | 'pt';

/** Kind of a chunk seam: the chunk's `boundary`, `paragraph` for a sentence seam at a blank line. */
export type SeamKind = 'sentence' | 'paragraph' | 'clause' | 'conjunction' | 'forced';

const SEAM_KINDS: readonly SeamKind[] = ['sentence', 'paragraph', 'clause', 'conjunction', 'forced'];
/** Seams inside a sentence, where the F0 step is measured. */
const MID_SENTENCE: ReadonlySet<SeamKind> = new Set(['clause', 'conjunction', 'forced']);

/** Narrator per language for the corpus (default config: seams, loudness and gaps as shipped). */
const ENGINE_OF: Record<QualityLanguage, BenchEngine> = { en: 'espeak', pt: 'espeak-pt' };

/** Voices besides each language's default one whose loudness is measured (narrate's `voice` option). */
const EXTRA_VOICES: Record<QualityLanguage, readonly string[]> = { en: ['en-gb-x-rp', 'en-us+f3'], pt: ['pt-br+f2', 'pt'] };

/** Targets (issue 12). */
export const QUALITY_TARGETS = {
  /** A sentence seam's pause is within this share of the one-call pause … */
  sentencePauseShare: 0.25,
  /** … or within this many ms of it, whichever is larger. */
  sentencePauseMs: 40,
  /** p95 |F0 step| at mid-sentence seams, semitones. */
  f0StepSemitones: 1,
  /** Silence between queued narrations, ms (at least). */
  queueGapMs: 400,
  /** Integrated loudness of every narration, LUFS, ± {@link lufsTolerance}. */
  lufs: -16,
  lufsTolerance: 1,
  /** True peak of every narration, dBTP (at most). */
  truePeakDbtp: -1,
} as const;

/** Seam search tolerance in the pipeline output around the caption's frame, ms. */
const SEAM_TOLERANCE_MS = 40;
/** Half-width of the window around the mapped position searched in the one-call reading at a punctuated seam, ms. */
const ONE_CALL_WINDOW_MS = 250;
/** The same at a conjunction or forced seam (no pause expected: only what lies at the word boundary), ms. */
const ONE_CALL_WORD_WINDOW_MS = 60;
/** Half-width of that window when the seam was placed by reading the prefix (oneCallSeams), ms: the level map puts a pause's start past the decay the −46 dBFS anchor already counts as silence. */
const ONE_CALL_ANCHOR_WINDOW_MS = 60;
/** A click this close to a seam's pause edge (or the caption's frame when it has no pause) is a seam click, ms. */
const SEAM_CLICK_MS = 25;
/** Rooms of a wave start this far apart, ms (all at once, cold, made espeak-ng's one worker per narrator fall behind). */
const STAGGER_MS = 200;

/** How big a run is. */
export interface QualityPlan {
  /** Corpus indices narrated per language. */
  readonly corpus: readonly number[];
  /** Corpus narrations per extra voice (and at the fast rate) for loudness. */
  readonly voiceNarrations: number;
  /** Whether a second speaking rate (260 wpm) is measured for loudness. */
  readonly rates: boolean;
  /** TTFA narrations per narrator (shaped and plain, taking turns), 30–70 ms apart as in ttfa.ts … */
  readonly ttfaIterations: number;
  /** … and 600–640 ms apart. */
  readonly ttfaSpacedIterations: number;
  /** Interrupt rooms per narrator. */
  readonly interrupts: number;
  /** Every n-th narration is also measured by FFmpeg (the cross-check; a process per narration). */
  readonly ffmpegEvery: number;
}

/** Full and quick plans. */
export const QUALITY_PLANS: Record<'full' | 'quick', QualityPlan> = {
  full: { corpus: QUALITY_TEXTS.en.map((_, i) => i), voiceNarrations: 4, rates: true, ttfaIterations: 40, ttfaSpacedIterations: 20, interrupts: 3, ffmpegEvery: 1 },
  quick: { corpus: QUALITY_QUICK, voiceNarrations: 2, rates: false, ttfaIterations: 20, ttfaSpacedIterations: 8, interrupts: 2, ffmpegEvery: 3 },
};

/** One seam measured. */
export interface SeamMeasurement {
  readonly language: QualityLanguage;
  /** Corpus index of the narration. */
  readonly narration: number;
  /** Index of the chunk that starts after the seam. */
  readonly chunk: number;
  /** The text around the seam: the end of the chunk before ‖ the start of the chunk after. */
  readonly context: string;
  readonly kind: SeamKind;
  /** Pause in the pipeline output, ms (0: no silence found at the seam). */
  readonly pipelineMs: number;
  /** Pause in the one-call reading at the mapped position, ms (0: none within the window). */
  readonly oneCallMs: number;
  /** pipelineMs − oneCallMs. */
  readonly errorMs: number;
  /** errorMs as a % of oneCallMs; null when the one-call reading has no pause there. */
  readonly errorPct: number | null;
  /**
   * Voiced time at the mapped position − voiced time at the one-call pause found, ms: how far the
   * voiced-time mapping landed from the pause it picked (null when none was found).
   */
  readonly mapOffsetMs: number | null;
  /** Median F0 before the seam, Hz (mid-sentence seams only). */
  readonly pipelineF0Hz: number | null;
  readonly oneCallF0Hz: number | null;
  /** 12·log2(pipeline / one-call), semitones; null unless both F0s were found. */
  readonly f0StepSt: number | null;
  /** The caption's arrival on this thread − its chunk's first frame (0 when located by the arrival), ms. */
  readonly captionLagMs: number;
  /** Located by the playout thread's chunk-start time (true) or by the caption's arrival (false: off by the main thread's lag). */
  readonly exact: boolean;
}

/** One narration measured. */
export interface NarrationMeasurement {
  readonly language: QualityLanguage;
  readonly engine: BenchEngine;
  /** Corpus index; −1 for a voice's first narration (a short text of {@link QUALITY_GAP_TEXTS}). */
  readonly narration: number;
  /** Voice asked for; `default` = the language's default (`default@260wpm`: the 260 wpm narrator). */
  readonly voice: string;
  /**
   * The narrator's first narration in this voice: the pipeline calibrates a voice (pauses, loudness)
   * on first use, and a narration that races the calibration gets default pauses and no gain.
   */
  readonly firstInVoice: boolean;
  readonly chunks: number;
  readonly audioMs: number;
  readonly underruns: number;
  /** Frames missing from the capture (seq gaps). */
  readonly missingFrames: number;
  readonly clicks: number;
  /** Sample times of the clicks relative to the narration's first frame, ms. */
  readonly clickAtMs: number[];
  /** Clicks within {@link SEAM_CLICK_MS} of a seam's pause edges (null: seams not analysed). */
  readonly seamClicks: number | null;
  /** Clicks the same detector finds in the one-call reading (the detector's baseline on the engine's own audio); null without one. */
  readonly oneCallClicks: number | null;
  /** Library (ebur128-wasm) figures. */
  readonly loudness: LoudnessFigures;
  /** What the pipeline reported for it: its own meter's output loudness (LUFS) and the gain it applied (dB). */
  readonly reported: { readonly loudnessLufs: number | null; readonly gainDb: number | null };
  /** FFmpeg's ebur128 figures, null without ffmpeg or for a narration the plan does not cross-check. */
  ffmpeg: LoudnessFigures | null;
  /** The one-call reading's loudness (library), raw engine level; null without one. */
  readonly oneCallLoudness: LoudnessFigures | null;
}

/** Silence between narrations in one room. */
export interface GapMeasurement {
  readonly engine: BenchEngine;
  readonly kind: 'queue' | 'interrupt';
  /** Last sound of the one before → first sound of the next, ms. */
  readonly silenceMs: number;
  /** Clicks anywhere in the room's output. */
  readonly clicks: number;
}

/** Result of {@link measureQuality}. */
export interface QualityResult {
  readonly plan: QualityPlan;
  readonly seams: SeamMeasurement[];
  readonly narrations: NarrationMeasurement[];
  readonly gaps: GapMeasurement[];
  /** TTFA by bench/scenarios/ttfa.ts's method (30–70 ms between a cancel and the next narration). */
  readonly ttfa: TtfaPair;
  /** The same with 600–640 ms between: past playout.gapMs / interruptGapMs, what the shaping itself costs. */
  readonly ttfaSpaced: TtfaPair;
  /** Config of the default narrator that matters here. */
  readonly config: { readonly gapMs: number | null; readonly interruptGapMs: number | null; readonly seams: unknown; readonly loudness: unknown };
  readonly ffmpeg: boolean;
  /** Narrations left out of the seam analysis (underruns or missing frames). */
  readonly excluded: number;
  /** Voices the engine refused (not measured), with why. */
  readonly refusedVoices: string[];
  /**
   * The main thread's event-loop delay while each wave played (node:perf_hooks, 10 ms resolution), ms:
   * the bench does nothing heavy then, so this is the pipeline's own load on the thread that emits
   * captions and relays audio (wave 1 also calibrates the voices used for the first time).
   */
  readonly eventLoopDelayMs: { readonly wave1: { p99: number; max: number }; readonly wave2: { p99: number; max: number } };
}

/** A frame as the `capture` sink posted it, samples kept. */
interface RecordedFrame {
  readonly seq: number;
  readonly timeMs: number;
  readonly narrationId: string | null;
  readonly samples: Int16Array;
}

/**
 * Keeps the samples of the `capture` sink's frames for the rooms it watches (the bench's
 * {@link CaptureCollector} drops them): its own `BroadcastChannel('vrpg-capture')` listener.
 */
class SampleRecorder {
  private readonly rooms = new Map<string, { frames: RecordedFrame[]; closed: boolean }>();
  private readonly channel = new BroadcastChannel(CAPTURE_CHANNEL);
  sampleRate = 0;

  constructor() {
    this.channel.onmessage = (e: MessageEvent) => {
      const m = e.data as CapturedFrame | CaptureClosed;
      const room = this.rooms.get(m.roomId);
      if (!room) return;
      if (m.kind === 'closed') {
        room.closed = true;
        return;
      }
      this.sampleRate = m.sampleRate;
      room.frames.push({ seq: m.seq, timeMs: m.timeMs, narrationId: m.narrationId, samples: m.samples });
    };
  }

  watch(roomId: string): void {
    this.rooms.set(roomId, { frames: [], closed: false });
  }

  /** Waits until the room's sink reported closed, then hands its frames over (in seq order) and forgets them. */
  async take(roomId: string, timeoutMs = 10_000): Promise<RecordedFrame[]> {
    const room = this.rooms.get(roomId);
    if (!room) throw new Error(`quality: room ${roomId} is not recorded`);
    const until = performance.now() + timeoutMs;
    while (!room.closed) {
      if (performance.now() > until) throw new Error(`quality: capture sink of room ${roomId} did not report closed within ${timeoutMs} ms`);
      await sleep(10);
    }
    this.rooms.delete(roomId);
    return room.frames.sort((a, b) => a.seq - b.seq);
  }

  close(): void {
    this.channel.close();
  }
}

/** A room's frames laid end to end by seq (missing seqs as silence). */
interface Timeline {
  readonly samples: Float32Array;
  readonly frameSamples: number;
  readonly firstSeq: number;
  /** narrationId per frame slot. */
  readonly ids: (string | null)[];
  /** timeMs per frame slot (NaN for a missing one). */
  readonly times: Float64Array;
  readonly missing: number;
}

function timelineOf(frames: readonly RecordedFrame[]): Timeline {
  if (frames.length === 0) return { samples: new Float32Array(0), frameSamples: 0, firstSeq: 0, ids: [], times: new Float64Array(0), missing: 0 };
  const frameSamples = frames[0]!.samples.length;
  const firstSeq = frames[0]!.seq;
  const slots = frames[frames.length - 1]!.seq - firstSeq + 1;
  const samples = new Float32Array(slots * frameSamples);
  const ids: (string | null)[] = new Array(slots).fill(null);
  const times = new Float64Array(slots).fill(NaN);
  for (const f of frames) {
    const k = f.seq - firstSeq;
    samples.set(s16ToF32(f.samples), k * frameSamples);
    ids[k] = f.narrationId;
    times[k] = f.timeMs;
  }
  return { samples, frameSamples, firstSeq, ids, times, missing: slots - frames.length };
}

/** Frame slots [first, last] of a narration in a timeline, or null. */
function slotsOf(t: Timeline, narrationId: string): { first: number; last: number } | null {
  const first = t.ids.indexOf(narrationId);
  if (first < 0) return null;
  return { first, last: t.ids.lastIndexOf(narrationId) };
}

/** A narration played through the pipeline, with what the room reported. */
interface Played {
  readonly firstInVoice?: boolean;
  readonly engine: BenchEngine;
  readonly language: QualityLanguage;
  readonly narration: number;
  readonly voice: string | undefined;
  readonly text: string;
  readonly report: NarrationReport;
  /**
   * Captions: chunk index, source text, when it reached this thread (`arrivedMs`) and when its chunk's
   * first frame went to the sinks (`startMs`: the playout thread's own chunk-start time where the tap
   * is available, else the arrival).
   */
  readonly captions: { index: number; text: string; arrivedMs: number; startMs: number; exact: boolean }[];
  /** The narration's own frames laid end to end. */
  readonly timeline: Timeline;
}

/** A corpus narration to play in a room of its own. */
interface Job {
  readonly engine: BenchEngine;
  readonly language: QualityLanguage;
  /** Corpus index, or −1 for `text`. */
  readonly narration: number;
  /** The text when not a corpus narration. */
  readonly text?: string;
  readonly voice?: string;
  /** When to start, ms after the wave began. */
  readonly delayMs?: number;
  /** The narrator's first narration in this voice. */
  readonly firstInVoice?: boolean;
}

/** Chunk starts per narration as the playout thread timed them: narrationId → chunk index → epoch ms. */
interface ChunkStartTap {
  readonly starts: Map<string, Map<number, number>>;
  stop(): void;
}

/**
 * Listens to a narrator's playout events for `chunk-start`, whose time is the frame's own on the
 * playout thread. Captions carry no time: stamped on arrival here, they are late by however long
 * the main thread was busy (the narrations' loudness meters and limiters run on it), which under
 * load put a seam a few frames off. The narrator does not expose its playout, so this reaches for
 * it; null when it is not there (the seams are then located by the captions' arrival, marked `exact: false`).
 */
function tapChunkStarts(narrator: Narrator): ChunkStartTap | null {
  const playout = (narrator as unknown as { parts?: { playout?: { onEvent?: (l: (e: PlayoutEvent) => void) => () => void } } }).parts?.playout;
  if (typeof playout?.onEvent !== 'function') return null;
  const starts = new Map<string, Map<number, number>>();
  const stop = playout.onEvent((e) => {
    if (e.type !== 'chunk-start') return;
    let m = starts.get(e.narrationId);
    if (!m) starts.set(e.narrationId, (m = new Map()));
    m.set(e.chunkIndex, e.atMs);
  });
  return { starts, stop };
}

/** Plays the jobs together, each in its own `capture` room, starting at their `delayMs` or else {@link STAGGER_MS} apart (rooms are independent: the playback is real time). */
async function playAll(p: BenchPipeline, recorder: SampleRecorder, taps: ReadonlyMap<BenchEngine, ChunkStartTap>, jobs: readonly Job[], refused: string[]): Promise<Played[]> {
  return (
    await Promise.all(
      jobs.map(async (job, k): Promise<Played | null> => {
        await sleep(job.delayMs ?? k * STAGGER_MS);
        const room = await p.openRoom(job.engine, ['capture'], `quality-${job.language}`);
        recorder.watch(room.roomId);
        const arrivals: { index: number; text: string; arrivedMs: number }[] = [];
        room.narration.on('caption', (c) => arrivals.push({ index: c.index, text: c.text, arrivedMs: nowMs() }));
        const text = job.text ?? QUALITY_TEXTS[job.language][job.narration]!;
        let report: NarrationReport | null = null;
        try {
          report = await room.narration.narrate(text, { trigger: 'bench:quality', voice: job.voice }).done;
        } catch (err) {
          refused.push(`${job.voice}: ${(err as Error).message}`);
        }
        await room.close();
        const frames = await recorder.take(room.roomId);
        p.capture.forget(room.roomId);
        if (!report) return null;
        const own = frames.filter((f) => f.narrationId === report.id);
        const starts = taps.get(job.engine)?.starts.get(report.id);
        const captions = arrivals.map((c) => {
          const start = starts?.get(c.index);
          return { ...c, startMs: start ?? c.arrivedMs, exact: start !== undefined };
        });
        return { ...job, voice: job.voice, text, report, captions, timeline: timelineOf(own) };
      }),
    )
  ).filter((x): x is Played => x !== null);
}

/** Seam kind between two consecutive chunks' source texts, as the chunker classified the cut. */
export function seamKind(prevText: string, nextText: string, language: string): SeamKind {
  const prevCore = prevText.trimEnd();
  const trailing = prevText.slice(prevCore.length);
  const prevToken = /\S+$/u.exec(prevCore)?.[0] ?? '';
  const nextToken = /\S+/u.exec(nextText)?.[0] ?? '';
  const newlinesAfter = (trailing.match(/\n/g) ?? []).length;
  const kind =
    classifyBoundary(
      { core: prevToken, newlinesAfter, lineStart: /(?:^|\n)[ \t]*\S+$/u.test(prevCore) },
      { core: nextToken, newlinesAfter: 0, lineStart: newlinesAfter > 0 },
      pauseWordsFor(language),
    ).kind ?? 'forced';
  return kind === 'sentence' && newlinesAfter >= 2 ? 'paragraph' : kind;
}

/**
 * Where each seam falls in the one-call reading, in samples: the narration's chunks up to the seam
 * read in one call the way the pipeline reads the last of them (with its read-ahead), whose audible
 * end is the seam's place in the one-call reading. espeak-ng reads clause by clause, so that prefix
 * sounds exactly like the one-call reading up to there: no drift, unlike mapping by voiced time
 * (which put `The crew cheers, ‖` on the pause after `you!"` 400 ms earlier). Index c is the seam
 * before caption c; null where the prefix has no audible end.
 */
async function oneCallSeams(engine: EspeakEngine, played: Played, one: Float32Array): Promise<(number | null)[]> {
  const captions = [...played.captions].sort((a, b) => a.index - b.index);
  const threshold = 10 ** (-46 / 20); // raw espeak-ng (voice-profiles.ts SILENCE_BELOW_LOUDNESS_DB under its −21 LUFS)
  const audible = (x: Float32Array): [number, number] => {
    let a = 0;
    while (a < x.length && Math.abs(x[a]!) <= threshold) a++;
    let b = x.length - 1;
    while (b > a && Math.abs(x[b]!) <= threshold) b--;
    return [a, b + 1];
  };
  const [oneStart] = audible(one);
  const out: (number | null)[] = [null];
  // The prefix is the narration's text before the caption's chunk (chunk texts concatenate to the
  // text exactly), not the captions before it: a caption missed by the tap would shorten it.
  let from = 0;
  for (let c = 1; c < captions.length; c++) {
    const at = played.text.indexOf(captions[c]!.text, from);
    if (at < 0) {
      out.push(null);
      continue;
    }
    from = at + 1;
    const kind = seamKind(captions[c - 1]!.text, captions[c]!.text, played.language);
    const boundary = kind === 'paragraph' ? 'sentence' : kind;
    const continuation = continuationOf({ boundary }, { spoken: normalizeForSpeech(captions[c]!.text.trim(), played.language) });
    const blocks: Float32Array[] = [];
    const chunk = { narrationId: 'one-call-prefix', index: 0, text: normalizeForSpeech(played.text.slice(0, at).trim(), played.language), language: played.language, continuation };
    for await (const b of engine.synthesize(chunk, played.voice, new AbortController().signal)) blocks.push(b);
    const [a, b] = audible(concatF32(blocks));
    out.push(b > a ? oneStart + (b - a) : null);
  }
  return out;
}

/** The one-call reading: the narration's whole spoken text in one engine request. */
async function readInOneCall(engine: EspeakEngine, text: string, language: QualityLanguage, voice: string | undefined): Promise<Float32Array> {
  const spoken = normalizeForSpeech(text.trim(), language);
  if (spoken.length > ESPEAK_MAX_CHARS) throw new Error(`quality: narration of ${spoken.length} spoken characters is over espeak's ${ESPEAK_MAX_CHARS}: "${text.slice(0, 40)}…"`);
  const blocks: Float32Array[] = [];
  for await (const b of engine.synthesize({ narrationId: 'one-call', index: 0, text: spoken, language }, voice, new AbortController().signal)) blocks.push(b);
  return concatF32(blocks);
}

/**
 * The seams of one narration: each caption (after the first) located in the pipeline output and
 * its pause measured; the seam mapped into the one-call reading by voiced time and the pause
 * there measured; F0 before mid-sentence seams in both. The mapping is re-anchored at every pause
 * it finds in the one-call reading, so drift in voiced time only builds up within one chunk.
 */
function measureSeams(played: Played, one: Float32Array, oneMap: LevelMap, rate: number, anchors: readonly (number | null)[]): { seams: SeamMeasurement[]; edges: number[] } {
  const t = played.timeline;
  const pipe = t.samples;
  const map = levelMap(pipe, rate);
  const runs = silenceRuns(map);
  const oneRuns = silenceRuns(oneMap);
  const tol = Math.round((SEAM_TOLERANCE_MS * rate) / 1000);
  const captions = [...played.captions].sort((a, b) => a.index - b.index);
  const out: SeamMeasurement[] = [];
  const edges: number[] = [];
  /** One-call voiced time − pipeline voiced time at the last pause matched, samples. */
  let offset = 0;
  for (let c = 1; c < captions.length; c++) {
    const cap = captions[c]!;
    const prev = captions[c - 1]!;
    // The frame the caption fired at: the last one handed to the sinks before it arrived here.
    let slot = -1;
    for (let k = 0; k < t.times.length; k++) if (t.times[k]! <= cap.startMs + 0.5) slot = k;
    if (slot < 0) continue;
    const frameStart = slot * t.frameSamples;
    // The pause: the longest silence run that ends within ±40 ms of the caption's frame, or that holds it
    // (an engine's leading silence kept in the chunk puts the frame inside the pause).
    let run: SilenceRun | null = null;
    for (const r of runs) {
      const ends = r.end >= frameStart - tol && r.end <= frameStart + t.frameSamples + tol;
      const holds = r.start <= frameStart + t.frameSamples && r.end >= frameStart;
      if (r.start === 0 || !(ends || holds)) continue;
      if (!run || r.end - r.start > run.end - run.start) run = r;
    }
    const pipelineMs = run ? runMs(run, rate) : 0;
    const seamAt = run ? run.start : frameStart;
    edges.push(...(run ? [run.start, run.end] : [frameStart]));
    const kind = seamKind(prev.text, cap.text, played.language);
    const punctuated = !MID_SENTENCE.has(kind) || kind === 'clause';
    const voiced = voicedSamplesBefore(map, seamAt);
    const anchor = anchors[c] ?? null;
    // Exact when the prefix reading placed the seam (a pause starts there); else by voiced time.
    const mapped = anchor ?? sampleAtVoiced(oneMap, voiced + offset);
    const window = Math.round(((anchor !== null ? ONE_CALL_ANCHOR_WINDOW_MS : punctuated ? ONE_CALL_WINDOW_MS : ONE_CALL_WORD_WINDOW_MS) * rate) / 1000);
    const oneRun = longestRunNear(oneRuns, one.length, mapped, window, 1);
    const oneCallMs = oneRun ? runMs(oneRun, rate) : 0;
    let mapOffsetMs: number | null = null;
    if (oneRun) {
      mapOffsetMs = round(((voicedSamplesBefore(oneMap, mapped) - voicedSamplesBefore(oneMap, oneRun.start)) * 1000) / rate, 1);
      offset = voicedSamplesBefore(oneMap, oneRun.start) - voiced;
    }
    let pipelineF0Hz: number | null = null;
    let oneCallF0Hz: number | null = null;
    if (MID_SENTENCE.has(kind)) {
      pipelineF0Hz = medianF0Before(pipe, map, seamAt).f0Hz;
      oneCallF0Hz = medianF0Before(one, oneMap, oneRun ? oneRun.start : mapped).f0Hz;
    }
    const errorMs = pipelineMs - oneCallMs;
    out.push({
      language: played.language, narration: played.narration, chunk: cap.index,
      context: `${prev.text.trimEnd().slice(-28)} ‖ ${cap.text.trimStart().slice(0, 16)}`, kind,
      pipelineMs: round(pipelineMs, 1), oneCallMs: round(oneCallMs, 1), errorMs: round(errorMs, 1),
      errorPct: oneCallMs >= 5 ? round((100 * errorMs) / oneCallMs, 1) : null,
      mapOffsetMs,
      pipelineF0Hz: pipelineF0Hz === null ? null : round(pipelineF0Hz, 1),
      oneCallF0Hz: oneCallF0Hz === null ? null : round(oneCallF0Hz, 1),
      f0StepSt: pipelineF0Hz !== null && oneCallF0Hz !== null ? round(semitones(pipelineF0Hz, oneCallF0Hz), 2) : null,
      captionLagMs: round(cap.arrivedMs - cap.startMs, 1),
      exact: cap.exact,
    });
  }
  return { seams: out, edges };
}

/**
 * Silence between narrations: `queue` rooms narrate three short texts back to back; `interrupt`
 * rooms start a long narration and interrupt it 0.8–1.6 s after its first frame. Rooms start
 * {@link STAGGER_MS} apart after `startAfterMs`. Measured from
 * the last sound of the one before (the end of its fade-out for an interrupt) to the first sound of
 * the next; clicks counted over the whole room's output.
 */
async function measureGaps(p: BenchPipeline, recorder: SampleRecorder, plan: QualityPlan, rate: number, startAfterMs: number): Promise<GapMeasurement[]> {
  const random = seededRandom(12);
  const rooms: Promise<GapMeasurement[]>[] = [];
  let started = 0;
  const run = async (engine: BenchEngine, language: QualityLanguage, kind: 'queue' | 'interrupt', delayMs: number): Promise<GapMeasurement[]> => {
    await sleep(startAfterMs + STAGGER_MS * started++);
    const room: BenchRoom = await p.openRoom(engine, ['capture'], `quality-${kind}`);
    recorder.watch(room.roomId);
    const ids: string[] = [];
    const texts = QUALITY_GAP_TEXTS[language];
    if (kind === 'queue') {
      const handles = texts.map((text) => room.narration.narrate(text, { trigger: 'bench:quality-gap' }));
      ids.push(...handles.map((h) => h.id));
      await Promise.all(handles.map((h) => h.done));
    } else {
      const first = room.narration.narrate(QUALITY_TEXTS[language][1]!, { trigger: 'bench:quality-interrupted' });
      await room.firstFrame(first.id);
      await sleep(delayMs);
      const next = room.narration.narrate(texts[0]!, { trigger: 'bench:quality-interrupt', priority: 'interrupt' });
      ids.push(first.id, next.id);
      await Promise.all([first.done, next.done]);
    }
    await room.close();
    const frames = await recorder.take(room.roomId);
    p.capture.forget(room.roomId);
    const t = timelineOf(frames);
    const map = levelMap(t.samples, rate);
    const out: GapMeasurement[] = [];
    const clicks = detectClicks(t.samples, map).length;
    for (let i = 1; i < ids.length; i++) {
      const a = slotsOf(t, ids[i - 1]!);
      const b = slotsOf(t, ids[i]!);
      if (!a || !b) continue;
      const endA = soundSpan(t.samples, map, a.first * t.frameSamples, (a.last + 1) * t.frameSamples);
      const startB = soundSpan(t.samples, map, b.first * t.frameSamples, (b.last + 1) * t.frameSamples);
      if (!endA || !startB) continue;
      out.push({ engine, kind, silenceMs: round(((startB.first - endA.last) * 1000) / rate, 1), clicks: i === 1 ? clicks : 0 });
    }
    return out;
  };
  for (const [engine, language] of [['espeak', 'en'], ['espeak-pt', 'pt'], ['espeak-plain', 'en']] as const) {
    rooms.push(run(engine, language, 'queue', 0));
    for (let i = 0; i < plan.interrupts; i++) rooms.push(run(engine, language, 'interrupt', 800 + 800 * random()));
  }
  return (await Promise.all(rooms)).flat();
}

/** TTFA of the shaped (config defaults) and the plain narrator, ms. */
export interface TtfaPair {
  readonly shapedMs: Summary;
  readonly plainMs: Summary;
  /** Pause between a narration's cancel and the next request in the same room, ms. */
  readonly spacingMs: readonly [number, number];
}

/**
 * TTFA with the shaping on (`espeak`, config defaults) and off (`espeak-plain`), in one run, by
 * bench/scenarios/ttfa.ts's method: event received → first frame handed to the `wav` sink, each
 * narration cancelled once its first frame is out, then a pause of `spacingMs` (ttfa.ts: 30–70 ms)
 * before the next. The narrators take turns in blocks of 5 narrations, so load on the machine falls
 * on both alike while each room sees exactly the method's spacing.
 */
async function measureTtfaPair(p: BenchPipeline, iterations: number, spacingMs: readonly [number, number]): Promise<TtfaPair> {
  const rooms = { shaped: await p.openRoom('espeak', ['wav'], 'quality-ttfa'), plain: await p.openRoom('espeak-plain', ['wav'], 'quality-ttfa') };
  const random = seededRandom(1);
  const ttfa = { shaped: [] as number[], plain: [] as number[] };
  const BLOCK = 5;
  try {
    for (let i = 0; i < 2 * iterations; i++) {
      const which = Math.floor(i / BLOCK) % 2 === 0 ? 'shaped' : 'plain';
      if (ttfa[which].length >= iterations) continue;
      const room = rooms[which];
      const n = room.narration.narrate(SHORT_TEXTS[i % SHORT_TEXTS.length]!, { trigger: 'bench:quality-ttfa', receivedAtMs: nowMs() });
      await room.firstFrame(n.id);
      room.narration.cancel([n.id]);
      const report = await n.done;
      if (report.ttfaMs === null) throw new Error(`quality ttfa: narration ${i} (${which}) ended without a frame`);
      ttfa[which].push(report.ttfaMs);
      await sleep(spacingMs[0] + (spacingMs[1] - spacingMs[0]) * random());
    }
  } finally {
    await rooms.shaped.close();
    await rooms.plain.close();
  }
  return { shapedMs: summarize(ttfa.shaped), plainMs: summarize(ttfa.plain), spacingMs };
}

/**
 * Warms a narrator's engine past its start-up warm-up (espeak-ng's first real chunks run several
 * times slower): one corpus narration, cancelled 1.5 s after its first frame (synthesis runs ahead
 * of playback, so most of it has been synthesized by then).
 */
async function warmUp(p: BenchPipeline, engine: BenchEngine, language: QualityLanguage): Promise<void> {
  const room = await p.openRoom(engine, ['capture'], 'quality-warmup');
  try {
    const n = room.narration.narrate(QUALITY_TEXTS[language][5]!, { trigger: 'bench:quality-warmup' });
    await room.firstFrame(n.id);
    await sleep(1500);
    room.narration.cancel([n.id]);
    await n.done;
  } finally {
    await room.close();
    p.capture.forget(room.roomId);
  }
}

/**
 * Runs the quality section (see the module comment and bench/README.md "Quality"): narrators
 * booted and warmed, TTFA shaped vs plain, the one-call readings, the queue and interrupt rooms,
 * then two waves of rooms played in real time — the corpus (en and pt) with each other voice's
 * first narration, then the other voices calibrated and the fast rate — and last the analysis of
 * what the `capture` sink received.
 * @param progress one line per step, to stderr
 */
export async function measureQuality(p: BenchPipeline, options: { quick: boolean; progress?: (msg: string) => void }): Promise<QualityResult> {
  const plan = QUALITY_PLANS[options.quick ? 'quick' : 'full'];
  const progress = options.progress ?? (() => undefined);
  const ffmpeg = hasFfmpeg();
  const recorder = new SampleRecorder();
  const oneCallEngine = new EspeakEngine(espeakOptionsSchema.parse({}), pino({ level: 'silent' }));
  const refused: string[] = [];
  const taps = new Map<BenchEngine, ChunkStartTap>();
  try {
    const extra: BenchEngine[] = ['espeak-pt', 'espeak-plain', ...(plan.rates ? (['espeak-fast'] as const) : [])];
    progress(`quality: booting narrators ${extra.join(', ')} and a one-call espeak-ng engine`);
    const [shaped] = await Promise.all([p.narrator('espeak'), ...extra.map((e) => p.narrator(e)), oneCallEngine.init()]);
    const rate = oneCallEngine.sampleRate;
    for (const engine of ['espeak', 'espeak-pt', 'espeak-fast'] as const) {
      if (engine === 'espeak-fast' && !plan.rates) continue;
      const tap = tapChunkStarts(await p.narrator(engine));
      if (tap) taps.set(engine, tap);
    }
    await Promise.all((['espeak', ...extra] as BenchEngine[]).map((e) => warmUp(p, e, e === 'espeak-pt' ? 'pt' : 'en')));

    progress(`quality: TTFA, shaped vs plain narrator, ${plan.ttfaIterations} narrations each 30–70 ms apart (ttfa.ts), ${plan.ttfaSpacedIterations} each 600–640 ms apart`);
    const ttfa = await measureTtfaPair(p, plan.ttfaIterations, [30, 70]);
    const ttfaSpaced = await measureTtfaPair(p, plan.ttfaSpacedIterations, [600, 640]);

    progress(`quality: one-call readings of ${plan.corpus.length} × 2 narrations`);
    const oneCall = new Map<string, Float32Array>();
    for (const language of ['en', 'pt'] as const) {
      for (const i of plan.corpus) oneCall.set(`${language}:${i}`, await readInOneCall(oneCallEngine, QUALITY_TEXTS[language][i]!, language, undefined));
    }

    const corpusJobs: Job[] = plan.corpus.flatMap((i) => (['en', 'pt'] as const).map((language) => ({ engine: ENGINE_OF[language], language, narration: i })));
    // Each other voice's first narration (a short one) while wave 1 plays: the pipeline calibrates the voice
    // on first use and this narration races the calibration; wave 2 then finds every voice calibrated.
    const firstUseJobs: Job[] = [];
    const firstUseAt = corpusJobs.length * STAGGER_MS + 2000; // after the corpus rooms' first chunks
    for (const language of ['en', 'pt'] as const) {
      for (const voice of EXTRA_VOICES[language]) {
        firstUseJobs.push({ engine: ENGINE_OF[language], language, narration: -1, text: QUALITY_GAP_TEXTS[language][1], voice, delayMs: firstUseAt + firstUseJobs.length * STAGGER_MS, firstInVoice: true });
      }
    }
    progress(`quality: queue and interrupt rooms (en, pt, plain en) on their own, real time`);
    const gaps = await measureGaps(p, recorder, plan, rate, 0);

    progress(`quality: wave 1, ${corpusJobs.length} corpus narrations (en, pt), then, once they are synthesized, ${firstUseJobs.length} first narrations in other voices, real time`);
    const loop1 = monitorEventLoopDelay({ resolution: 10 });
    loop1.enable();
    const [corpus, firstUse] = await Promise.all([playAll(p, recorder, taps, corpusJobs, refused), playAll(p, recorder, taps, firstUseJobs, refused)]);
    loop1.disable();

    const otherJobs: Job[] = [];
    for (const language of ['en', 'pt'] as const) {
      for (const voice of EXTRA_VOICES[language]) {
        for (const i of plan.corpus.slice(0, plan.voiceNarrations)) otherJobs.push({ engine: ENGINE_OF[language], language, narration: i, voice });
      }
    }
    if (plan.rates) for (const i of plan.corpus.slice(0, plan.voiceNarrations)) otherJobs.push({ engine: 'espeak-fast', language: 'en', narration: i });
    progress(`quality: wave 2, ${otherJobs.length} narrations in other voices${plan.rates ? ' and at 260 wpm' : ''}, real time`);
    const seams: SeamMeasurement[] = [];
    const narrations: NarrationMeasurement[] = [];
    let excluded = 0;
    // FFmpeg runs one process at a time, in the background: its cross-check is awaited at the end.
    let ffmpegQueue: Promise<unknown> = Promise.resolve();
    const ffmpegRuns: Promise<void>[] = [];
    let analysed = 0;
    const analyse = async (x: Played): Promise<void> => {
      const samples = x.timeline.samples;
      const map = levelMap(samples, rate);
      const clicks = detectClicks(samples, map);
      const one = x.voice === undefined && x.engine !== 'espeak-fast' ? oneCall.get(`${x.language}:${x.narration}`) ?? null : null;
      const oneMap = one ? levelMap(one, rate) : null;
      let seamClicks: number | null = null;
      if (one && oneMap) {
        if (x.report.underruns > 0 || x.timeline.missing > 0) excluded++;
        else {
          const measured = measureSeams(x, one, oneMap, rate, await oneCallSeams(oneCallEngine, x, one));
          seams.push(...measured.seams);
          const near = Math.round((SEAM_CLICK_MS * rate) / 1000);
          seamClicks = clicks.filter((c) => measured.edges.some((e) => Math.abs(c - e) <= near)).length;
        }
      }
      const library = await libraryLoudness({ samples, sampleRate: rate });
      const oneLoud = one ? await libraryLoudness({ samples: one, sampleRate: rate }) : null;
      const m: NarrationMeasurement = {
        language: x.language, engine: x.engine, narration: x.narration,
        voice: x.engine === 'espeak-fast' ? 'default@260wpm' : x.voice ?? 'default', firstInVoice: x.firstInVoice ?? false,
        chunks: x.report.chunks, audioMs: x.report.audioMs, underruns: x.report.underruns, missingFrames: x.timeline.missing,
        clicks: clicks.length, clickAtMs: clicks.map((c) => round((c * 1000) / rate, 1)), seamClicks,
        oneCallClicks: one && oneMap ? detectClicks(one, oneMap).length : null,
        loudness: { integratedLufs: round(library.integratedLufs, 2), truePeakDbtp: round(library.truePeakDbtp, 2) },
        reported: { loudnessLufs: x.report.loudnessLufs ?? null, gainDb: x.report.gainDb ?? null },
        ffmpeg: null,
        oneCallLoudness: oneLoud ? { integratedLufs: round(oneLoud.integratedLufs, 2), truePeakDbtp: round(oneLoud.truePeakDbtp, 2) } : null,
      };
      narrations.push(m);
      if (ffmpeg && analysed++ % plan.ffmpegEvery === 0) {
        const run = ffmpegQueue.then(() => ffmpegLoudness({ samples, sampleRate: rate })).then((f) => {
          m.ffmpeg = f;
        });
        ffmpegQueue = run.catch(() => undefined);
        ffmpegRuns.push(run);
      }
    };
    const analyseAll = async (played: readonly Played[]) => {
      for (const x of played) await analyse(x);
    };
    const loop2 = monitorEventLoopDelay({ resolution: 10 });
    loop2.enable();
    const others = await playAll(p, recorder, taps, otherJobs, refused);
    loop2.disable();
    const loopMs = (h: typeof loop1) => ({ p99: round(h.percentile(99) / 1e6, 1), max: round(h.max / 1e6, 1) });
    const eventLoopDelayMs = { wave1: loopMs(loop1), wave2: loopMs(loop2) };
    // Not while rooms play: the analysis holds the main thread, which feeds the rooms' playout.
    progress(`quality: seams, F0, clicks and loudness of ${corpus.length + firstUse.length + others.length} narrations (ebur128-wasm${ffmpeg ? `; FFmpeg on ${plan.ffmpegEvery === 1 ? 'each' : `every ${plan.ffmpegEvery}th`}, in the background` : '; no FFmpeg'})`);
    await analyseAll([...corpus, ...firstUse, ...others]);
    await Promise.all(ffmpegRuns);
    const cfg = shaped.config as unknown as Record<string, Record<string, unknown> | undefined>;
    return {
      plan, seams, narrations, gaps, ttfa, ttfaSpaced, ffmpeg, excluded, refusedVoices: refused, eventLoopDelayMs,
      config: {
        gapMs: (cfg.playout?.gapMs as number | undefined) ?? null,
        interruptGapMs: (cfg.playout?.interruptGapMs as number | undefined) ?? null,
        seams: cfg.seams ?? null,
        loudness: cfg.loudness ?? null,
      },
    };
  } finally {
    for (const tap of taps.values()) tap.stop();
    recorder.close();
    await oneCallEngine.close();
  }
}

const abs = (xs: readonly number[]) => xs.map((x) => Math.abs(x));

/** The section's figures (ids `quality.*`), targets from {@link QUALITY_TARGETS}. */
export function qualityFigures(r: QualityResult): Figure[] {
  const T = QUALITY_TARGETS;
  const figures: Figure[] = [];
  for (const language of ['en', 'pt'] as const) {
    const seams = r.seams.filter((s) => s.language === language);
    const lag = summarize(seams.filter((s) => s.exact).map((s) => s.captionLagMs));
    const inexact = seams.filter((s) => !s.exact).length;
    for (const kind of SEAM_KINDS) {
      const of = seams.filter((s) => s.kind === kind);
      const err = summarize(abs(of.map((s) => s.errorMs)));
      const pct = summarize(abs(of.flatMap((s) => (s.errorPct === null ? [] : [s.errorPct]))));
      const bias = of.length ? of.reduce((a, s) => a + s.errorMs, 0) / of.length : NaN;
      const pipe = summarize(of.map((s) => s.pipelineMs));
      const one = summarize(of.map((s) => s.oneCallMs));
      figures.push(figure({
        id: `quality.${language}.pause.${kind}.p95`, label: `Pause error at ${kind} seams p95 |pipeline − one-call| (${language})`,
        value: of.length ? round(err.p95, 1) : null, unit: 'ms', samples: of.length,
        note: of.length === 0 ? 'no seam of this kind in the corpus run' :
          `p50 ${round(err.p50, 1)} ms; as % of the one-call pause p50 ${round(pct.p50, 1)} %, p95 ${round(pct.p95, 1)} % (n ${pct.n}); mean signed ${round(bias, 1)} ms; ` +
          `pause p50 pipeline ${round(pipe.p50, 1)} ms vs one-call ${round(one.p50, 1)} ms` +
          (kind === 'paragraph' ? ' (the one-call reading has no paragraph breaks: the pipeline is meant to pause longer, config seams.paragraphScale)' : '') +
          (kind === 'sentence' ? `; captions reached the main thread p95 ${round(lag.p95, 1)} ms, max ${round(lag.max, 1)} ms after their chunk's first frame` +
            `${inexact ? `; ${inexact} seams located by the caption's arrival (no playout tap)` : ''}` : ''),
      }));
    }
    const sentence = seams.filter((s) => s.kind === 'sentence');
    const outside = sentence.filter((s) => Math.abs(s.errorMs) > Math.max(T.sentencePauseMs, T.sentencePauseShare * s.oneCallMs));
    figures.push(figure({
      id: `quality.${language}.pause.sentence.outside`, label: `Sentence seams outside ±${T.sentencePauseShare * 100} % / ±${T.sentencePauseMs} ms of the one-call pause (${language})`,
      value: sentence.length ? outside.length : null, unit: 'seams', target: { op: '==', value: 0 }, samples: sentence.length,
      note: outside.length ? `worst: ${outside.sort((a, b) => Math.abs(b.errorMs) - Math.abs(a.errorMs)).slice(0, 3).map((s) => `#${s.narration}/${s.chunk} "${s.context}" ${s.pipelineMs} vs ${s.oneCallMs} ms`).join(', ')}` : undefined,
    }));
    const mid = seams.filter((s) => MID_SENTENCE.has(s.kind));
    const steps = mid.flatMap((s) => (s.f0StepSt === null ? [] : [s.f0StepSt]));
    const stepAbs = summarize(abs(steps));
    const worstStep = mid.reduce<SeamMeasurement | null>((w, x) => (x.f0StepSt !== null && (!w || Math.abs(x.f0StepSt) > Math.abs(w.f0StepSt!)) ? x : w), null);
    figures.push(figure({
      id: `quality.${language}.f0Step.p95`, label: `F0 step at mid-sentence seams p95 |pipeline − one-call| (${language})`,
      value: steps.length ? round(stepAbs.p95, 2) : null, unit: 'st', target: { op: '<=', value: T.f0StepSemitones }, samples: steps.length,
      note: `YIN (pitchfinder), median F0 of the last 150 ms of voiced audio before the seam; p50 ${round(stepAbs.p50, 2)} st, max ${round(stepAbs.max, 2)} st, ` +
        `mean signed ${steps.length ? round(steps.reduce((a, b) => a + b, 0) / steps.length, 2) : 'n/a'} st; ${mid.length - steps.length} of ${mid.length} seams without F0 on one side` +
        (worstStep ? `; worst #${worstStep.narration}/${worstStep.chunk} ${worstStep.kind} "${worstStep.context}" ${worstStep.pipelineF0Hz} vs ${worstStep.oneCallF0Hz} Hz` : ''),
    }));
    const narr = r.narrations.filter((n) => n.language === language && n.voice === 'default');
    const clicks = summarize(narr.map((n) => n.clicks));
    const baseline = summarize(narr.flatMap((n) => (n.oneCallClicks === null ? [] : [n.oneCallClicks])));
    const atSeams = narr.flatMap((n) => (n.seamClicks === null ? [] : [n.seamClicks]));
    figures.push(
      figure({
        id: `quality.${language}.clicks.mean`, label: `Clicks per narration, mean (${language})`,
        value: narr.length ? round(clicks.mean, 2) : null, unit: 'clicks', samples: narr.length,
        note: `|Δ| > 3 × local p99 |Δ| (±50 ms) anywhere in the output; max ${clicks.max}; the same detector on the engine's own one-call readings: ` +
          `mean ${round(baseline.mean, 2)}, max ${baseline.max} (plosives: the detector's floor)`,
      }),
      figure({
        id: `quality.${language}.clicks.seams`, label: `Clicks at seams (${language})`,
        value: atSeams.length ? atSeams.reduce((a, b) => a + b, 0) : null, unit: 'clicks', target: { op: '==', value: 0 }, samples: atSeams.length,
        note: `clicks within ${SEAM_CLICK_MS} ms of a seam's pause edges, over ${atSeams.length} narrations`,
      }),
    );
  }

  const queue = r.gaps.filter((g) => g.kind === 'queue');
  const shapedQueue = summarize(queue.filter((g) => g.engine !== 'espeak-plain').map((g) => g.silenceMs));
  const plainQueue = summarize(queue.filter((g) => g.engine === 'espeak-plain').map((g) => g.silenceMs));
  figures.push(figure({
    id: 'quality.gap.queue.min', label: 'Silence between queued narrations, min', value: shapedQueue.n ? round(Math.min(...queue.filter((g) => g.engine !== 'espeak-plain').map((g) => g.silenceMs)), 1) : null,
    unit: 'ms', target: { op: '>=', value: T.queueGapMs }, samples: shapedQueue.n,
    note: `last sound → first sound, en + pt, 3 narrations back to back per room; p50 ${round(shapedQueue.p50, 1)} ms; config playout.gapMs ${r.config.gapMs ?? 'n/a'}; ` +
      `plain narrator (gapMs 0) p50 ${round(plainQueue.p50, 1)} ms`,
  }));
  const inter = r.gaps.filter((g) => g.kind === 'interrupt');
  const shapedInter = summarize(inter.filter((g) => g.engine !== 'espeak-plain').map((g) => g.silenceMs));
  const plainInter = summarize(inter.filter((g) => g.engine === 'espeak-plain').map((g) => g.silenceMs));
  const roomClicks = r.gaps.reduce((a, g) => a + g.clicks, 0);
  figures.push(figure({
    id: 'quality.gap.interrupt.p50', label: 'Silence after an interrupt\'s fade-out p50', value: shapedInter.n ? round(shapedInter.p50, 1) : null, unit: 'ms', samples: shapedInter.n,
    note: `end of the fade-out → the interrupting narration's first sound; min ${round(Math.min(...inter.filter((g) => g.engine !== 'espeak-plain').map((g) => g.silenceMs)), 1)} ms, max ${round(shapedInter.max, 1)} ms; ` +
      `config playout.interruptGapMs ${r.config.interruptGapMs ?? 'n/a'}; plain narrator p50 ${round(plainInter.p50, 1)} ms; clicks in the queue/interrupt rooms' output: ${roomClicks}`,
  }));

  const narr = r.narrations.filter((n) => !n.firstInVoice);
  const firstUse = r.narrations.filter((n) => n.firstInVoice);
  const deviation = (n: NarrationMeasurement) => Math.abs(n.loudness.integratedLufs - T.lufs);
  const worstOf = (list: readonly NarrationMeasurement[]) => list.reduce<NarrationMeasurement | null>((w, n) => (!w || deviation(n) > deviation(w) ? n : w), null);
  const describe = (n: NarrationMeasurement | null) => (n ? `worst ${n.language} ${n.voice} #${n.narration}: ${n.loudness.integratedLufs} LUFS` : 'none');
  const perVoice = new Map<string, number[]>();
  for (const n of narr) {
    const key = `${n.language}:${n.voice}`;
    perVoice.set(key, [...(perVoice.get(key) ?? []), n.loudness.integratedLufs]);
  }
  const voiceMeans = [...perVoice].map(([voice, v]) => ({ voice, mean: v.reduce((a, b) => a + b, 0) / v.length }));
  const spread = voiceMeans.length ? Math.max(...voiceMeans.map((v) => v.mean)) - Math.min(...voiceMeans.map((v) => v.mean)) : NaN;
  const rawLevel = summarize(r.narrations.flatMap((n) => (n.oneCallLoudness ? [n.oneCallLoudness.integratedLufs] : [])));
  figures.push(figure({
    id: 'quality.loudness.lufsDeviation.max', label: `Integrated loudness, max |LUFS − (${T.lufs})| over narrations, voices and rates`,
    value: narr.length ? round(Math.max(...narr.map(deviation)), 2) : null, unit: 'LU', target: { op: '<=', value: T.lufsTolerance }, samples: narr.length,
    note: `ebur128-wasm; voices already calibrated (the configured one at start-up, the others by an earlier narration); ${describe(worstOf(narr))}; ` +
      `per voice mean: ${voiceMeans.map((v) => `${v.voice} ${round(v.mean, 1)}`).join(', ')}; the engine's raw one-call readings p50 ${round(rawLevel.p50, 1)} LUFS`,
  }));
  figures.push(figure({
    id: 'quality.loudness.firstUse.lufsDeviation.max', label: `Integrated loudness of a voice's first narration, max |LUFS − (${T.lufs})|`,
    value: firstUse.length ? round(Math.max(...firstUse.map(deviation)), 2) : null, unit: 'LU', target: { op: '<=', value: T.lufsTolerance }, samples: firstUse.length,
    note: `the first narration in a voice other than the configured one, which starts while the pipeline calibrates that voice; ` +
      `${firstUse.map((n) => `${n.language}:${n.voice} ${n.loudness.integratedLufs}`).join(', ')}`,
  }));
  const peaks = r.narrations.map((n) => n.loudness.truePeakDbtp);
  figures.push(figure({
    id: 'quality.loudness.truePeak.max', label: 'True peak, max over narrations', value: peaks.length ? round(Math.max(...peaks), 2) : null, unit: 'dBTP',
    target: { op: '<=', value: T.truePeakDbtp }, samples: peaks.length, note: `ebur128-wasm (4× oversampling); p50 ${round(summarize(peaks).p50, 2)} dBTP`,
  }));
  figures.push(figure({
    id: 'quality.loudness.voiceSpread', label: 'Loudness spread across voices and rates (max − min of per-voice mean)', value: round(spread, 2), unit: 'LU', samples: voiceMeans.length,
    note: `${voiceMeans.length} voice/rate/language combinations${r.refusedVoices.length ? `; refused: ${r.refusedVoices.join('; ')}` : ''}`,
  }));
  const both = r.narrations.filter((n) => n.ffmpeg);
  figures.push(figure({
    id: 'quality.loudness.meterDiff.max', label: 'Meter cross-check, max |ffmpeg − ebur128-wasm| integrated', unit: 'LU',
    value: both.length ? round(Math.max(...both.map((n) => Math.abs(n.ffmpeg!.integratedLufs - n.loudness.integratedLufs))), 2) : null, samples: both.length,
    note: both.length ? `true peak max |Δ| ${round(Math.max(...both.map((n) => Math.abs(n.ffmpeg!.truePeakDbtp - n.loudness.truePeakDbtp))), 2)} dB (ffmpeg prints 0.1 precision)` : 'ffmpeg not found: no cross-check',
  }));

  const t = r.ttfa;
  const ts = r.ttfaSpaced;
  figures.push(
    figure({ id: 'quality.ttfa.plain.p95', label: 'TTFA p95, no seams/loudness/gaps (before)', value: round(t.plainMs.p95), unit: 'ms', samples: t.plainMs.n,
      note: `ttfa.ts's method (30–70 ms after the previous narration's cancel); p50 ${round(t.plainMs.p50)} ms, max ${round(t.plainMs.max)} ms` }),
    figure({ id: 'quality.ttfa.shaped.p95', label: 'TTFA p95, config defaults (after)', value: round(t.shapedMs.p95), unit: 'ms', samples: t.shapedMs.n,
      note: `p50 ${round(t.shapedMs.p50)} ms, max ${round(t.shapedMs.max)} ms` }),
    figure({ id: 'quality.ttfa.ratio', label: 'TTFA p95 after / before', value: round(t.shapedMs.p95 / t.plainMs.p95, 2), unit: '×',
      note: `the two narrators in one run, taking turns; with ${ts.spacingMs[0]}–${ts.spacingMs[1]} ms between a cancel and the next narration ` +
        `(past playout.gapMs/interruptGapMs): after p95 ${round(ts.shapedMs.p95)} ms, before ${round(ts.plainMs.p95)} ms, ` +
        `ratio ${round(ts.shapedMs.p95 / ts.plainMs.p95, 2)} (n ${ts.shapedMs.n})` }),
  );
  const underruns = r.narrations.reduce((a, n) => a + n.underruns, 0);
  const loop = r.eventLoopDelayMs;
  figures.push(figure({
    id: 'quality.eventLoopDelay.max', label: 'Main-thread event-loop delay while the quality rooms played, max', value: Math.max(loop.wave1.max, loop.wave2.max), unit: 'ms',
    note: `wave 1 (corpus, first narrations in new voices: calibration) p99 ${loop.wave1.p99} ms, max ${loop.wave1.max} ms; wave 2 (calibrated voices) p99 ${loop.wave2.p99} ms, max ${loop.wave2.max} ms; ` +
      'captions are emitted on this thread, so they lag their audio by as much',
  }));
  figures.push(figure({ id: 'quality.underruns', label: 'Underruns in the quality narrations', value: underruns, unit: 'underruns', target: { op: '==', value: 0 },
    samples: r.narrations.length, note: `${r.excluded} corpus narration(s) left out of the seam analysis (underruns or missing frames)` }));
  return figures;
}
