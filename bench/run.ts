/**
 * `npm run bench [-- --quick] [-- --strict]`: measures the narration pipeline on this
 * machine and prints a table, then writes JSON to bench/results/bench-<date>.json and
 * bench/results/latest.json. Figures, methods and targets: bench/README.md.
 *   --quick   fewer iterations and steps (< 60 s on 2 cores, plus < 2 min for the quality section's smaller corpus)
 *   --strict  exit 1 when a figure misses its target
 *   --soak    the soak instead (not in CI): --soak-rooms N (48), --soak-minutes M (10), or
 *             VRPG_BENCH_SOAK_ROOMS / VRPG_BENCH_SOAK_MINUTES; JSON to bench/results/soak-<date>.json
 *   --only quality  the quality section alone (with --quick: its smaller corpus);
 *             JSON to bench/results/quality-<date>.json and quality-latest.json
 *   --only audio-path  block arrival in the FIFO with and without main-thread stalls (direct vs through
 *             main), TTFA with 16/48/128 rooms at once (espeak workers from the cores vs one), the first
 *             narration after boot; JSON to bench/results/audio-path-<date>.json
 *   --only rooms-webrtc  rooms at once with two WebRTC listeners per room, sink workers 0 vs default
 *             (with --quick: fewer, shorter steps, ~2 min); JSON to bench/results/rooms-webrtc-<date>.json
 *   --only processes  tables at 0 underruns with one `serve --redis` process vs two behind one redis-server
 *             (the built CLI: `npm run build` first; with --quick: ~3 min); JSON to bench/results/processes-<date>.json
 *   --only llm  event → first audio through a rule with an `llm` prompt, with and without the prelude model,
 *             on a stand-in OpenAI-compatible server (also in the default run); JSON to bench/results/llm-<date>.json
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, platform, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { BenchPipeline } from './pipeline.ts';
import { figure, formatTable, writeResults, type Figure } from './report.ts';
import { round } from './percentile.ts';
import { measureTtfa } from './scenarios/ttfa.ts';
import { measureOverhead } from './scenarios/overhead.ts';
import { measureCancel } from './scenarios/cancel.ts';
import { measureJitter } from './scenarios/jitter.ts';
import { measureRooms, type RoomsResult } from './scenarios/rooms.ts';
import { formatSchedulerTable, runSchedulerScenario, type SchedulerBenchResult } from './scenarios/scheduler.ts';
import { measureRemoteTtfa } from '../test/fixtures/xtts/measure-ttfa.ts';
import { measureOpusEncodeCost } from '../plugins/audio-webrtc/measure.ts';
import { measureBrowser, type BrowserBenchResult } from './scenarios/browser.ts';
import { measureBridge, type BridgeBenchResult } from './scenarios/bridge.ts';
import { measureXttsOnnx, realFixtureDir, TINY_DIR, type XttsOnnxBenchResult } from './scenarios/xtts-onnx.ts';
import { measureSoak, soakFigures } from './scenarios/soak.ts';
import { measureQuality, qualityFigures, type QualityResult } from './scenarios/quality.ts';
import { measureWebRtcRoomsSection, webRtcRoomsFigures } from './scenarios/rooms-webrtc-section.ts';
import { audioPathFigures, measureAudioPath } from './scenarios/audio-path.ts';
import { llmFigures, measureLlm, type LlmBenchResult } from './scenarios/llm.ts';
import { measureProcesses, processesFigures } from './scenarios/processes.ts';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** Iterations and steps of a run. */
interface Plan {
  readonly ttfaIterations: number;
  readonly overheadIterations: number;
  readonly cancelIterations: number;
  readonly jitterSeconds: number;
  readonly stallMs: number;
  readonly roomSteps: readonly number[];
  readonly roomSeconds: number;
  /** Wall time one engine's room stepping may take before it stops stepping up, ms. */
  readonly roomsBudgetMs: number;
}

const FULL: Plan = {
  ttfaIterations: 40, overheadIterations: 40, cancelIterations: 30, jitterSeconds: 9, stallMs: 100,
  roomSteps: [8, 16, 32, 48, 64, 96, 128, 192, 256], roomSeconds: 5, roomsBudgetMs: 60_000,
};
const QUICK: Plan = {
  ttfaIterations: 20, overheadIterations: 20, cancelIterations: 20, jitterSeconds: 3, stallMs: 100,
  roomSteps: [16, 48], roomSeconds: 5, roomsBudgetMs: 15_000,
};

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function roomsFigure(r: RoomsResult, id: string, label: string): Figure {
  const failed = r.steps.find((s) => s.underruns > 0);
  const best = r.steps.find((s) => s.rooms === r.maxRooms);
  const at48 = r.steps.find((s) => s.rooms === 48 && s !== best);
  return figure({
    id, label, value: r.maxRooms, unit: 'rooms', target: { op: '>=', value: 48 },
    qualifier: r.capped ? '≥' : undefined, samples: r.steps.length,
    note: `steps ${r.steps.map((s) => `${s.rooms}:${s.underruns}u`).join(' ')}` +
      (failed ? ` (first underruns at ${failed.rooms} rooms, ${failed.roomsWithUnderruns} room(s) hit)` : r.capped ? ' (no step failed: capacity may be higher)' : '') +
      (at48 ? `; TTFA p95 at 48 rooms ${at48.ttfaP95Ms} ms` : '') +
      (best ? `; TTFA p95 at ${best.rooms} rooms ${best.ttfaP95Ms} ms` : ''),
  });
}

/** Full runs: the real-dimension fixture (generated once); quick runs: the committed tiny one (a path check only). */
async function benchXttsOnnx(quick: boolean, progress: (msg: string) => void): Promise<XttsOnnxBenchResult> {
  if (quick) {
    progress('XTTS onnx backend, tiny fixture (quick: path check, not a speed figure)');
    return measureXttsOnnx(TINY_DIR, { runs: 3, tokens: 45, fixture: 'tiny' });
  }
  const { dir, reason } = realFixtureDir(progress);
  if (!dir) {
    progress(`XTTS onnx backend skipped: ${reason}`);
    return { skipped: reason };
  }
  progress(`XTTS onnx backend, real-dimension random-weight fixture (${dir}), 3 runs of 100 tokens`);
  return measureXttsOnnx(dir, { runs: 3, tokens: 100, fixture: 'real-dimensions' });
}

function bridgeFigures(r: BridgeBenchResult): Figure[] {
  const late = (a: BridgeBenchResult['calm']) => `lateness p95 ${round(a.latenessMs.p95)} ms, max ${round(a.latenessMs.max)} ms; ${a.lateOver100} of ${a.frames} frames > 100 ms late`;
  return [
    figure({ id: 'bridge.ttfa.p50', label: 'TTFA at a bridge client p50 (espeak-ng)', value: round(r.ttfaMs.p50), unit: 'ms', samples: r.ttfaMs.n }),
    figure({ id: 'bridge.ttfa.p95', label: 'TTFA at a bridge client p95', value: round(r.ttfaMs.p95), unit: 'ms', samples: r.ttfaMs.n, note: `max ${round(r.ttfaMs.max)} ms` }),
    figure({ id: 'bridge.cancel.p95', label: 'Cancel → last stale frame at a bridge client p95', value: round(r.cancelToLastStaleMs.p95), unit: 'ms', samples: r.cancelToLastStaleMs.n,
      note: `p50 ${round(r.cancelToLastStaleMs.p50)} ms, max ${round(r.cancelToLastStaleMs.max)} ms (0 = no frame of the cancelled generation after the request)` }),
    figure({ id: 'bridge.jitter.calm.p95', label: 'Bridge frame inter-arrival jitter p95', value: round(r.calm.jitterMs.p95, 2), unit: 'ms', samples: r.calm.frames, note: late(r.calm) }),
    figure({ id: 'bridge.jitter.stall.p95', label: `Bridge frame inter-arrival jitter p95, ${r.stalled.stallMs} ms main-thread stalls`, value: round(r.stalled.jitterMs.p95, 2), unit: 'ms',
      samples: r.stalled.frames, note: `${r.stalled.stalls} stalls; ${late(r.stalled)}` }),
    figure({ id: 'bridge.cost.perClientFrame', label: 'Bridge main-thread cost per client per frame', value: round(r.mainThreadUsPerClientFrame, 1), unit: 'µs',
      note: `${r.cpuClients} listeners; frame clock → main thread p50 ${round(r.clockToMainMs.p50)} ms, p95 ${round(r.clockToMainMs.p95)} ms, max ${round(r.clockToMainMs.max)} ms` }),
  ];
}

function browserFigures(r: BrowserBenchResult): Figure[] {
  if ('skipped' in r) {
    return [figure({ id: 'browser.ttfa.p95', label: 'TTFA at the browser p95', value: NaN, unit: 'ms', note: `skipped: ${r.skipped}` })];
  }
  return [
    figure({ id: 'browser.ttfa.p50', label: 'TTFA at the browser p50 (direct WebRTC)', value: round(r.ttfaMs.p50), unit: 'ms', samples: r.ttfaMs.n,
      note: 'DM narrate() call → first received audio energy in a player page (headless Chromium, loopback)' }),
    figure({ id: 'browser.ttfa.p95', label: 'TTFA at the browser p95', value: round(r.ttfaMs.p95), unit: 'ms', samples: r.ttfaMs.n, note: `max ${round(r.ttfaMs.max)} ms` }),
    figure({ id: 'browser.cancel.p50', label: 'Cancel → silence at the browser p50', value: round(r.cancelToSilenceMs.p50), unit: 'ms', samples: r.cancelToSilenceMs.n }),
    figure({ id: 'browser.cancel.p95', label: 'Cancel → silence at the browser p95', value: round(r.cancelToSilenceMs.p95), unit: 'ms', samples: r.cancelToSilenceMs.n,
      note: `max ${round(r.cancelToSilenceMs.max)} ms; includes Chromium's jitter buffer and the energy detector's window` }),
  ];
}

function xttsOnnxFigures(r: XttsOnnxBenchResult): Figure[] {
  if (r.skipped || !r.decodeStepMs || !r.ttfaMs || !r.rtf || !r.shape) {
    return [figure({ id: 'xtts.onnx.decodeStep.p50', label: 'XTTS onnx decode step p50', value: NaN, unit: 'ms', note: `skipped: ${r.skipped ?? 'no result'}` })];
  }
  const what = r.fixture === 'tiny' ? 'tiny fixture, path check only' : `${r.shape.layers}×${r.shape.width} random weights, CPU`;
  return [
    figure({ id: 'xtts.onnx.decodeStep.p50', label: `XTTS onnx decode step p50 (${what})`, value: round(r.decodeStepMs.p50), unit: 'ms', samples: r.decodeStepMs.n,
      note: `p95 ${round(r.decodeStepMs.p95)} ms; prefill p50 ${round(r.prefillMs!.p50)} ms; vocoder run p50 ${round(r.vocoderMs!.p50)} ms, max ${round(r.vocoderMs!.max)} ms; load ${round(r.loadMs!)} ms` }),
    figure({ id: 'xtts.onnx.ttfa.p50', label: `XTTS onnx TTFA, first 20-token chunk (${what})`, value: round(r.ttfaMs.p50), unit: 'ms', samples: r.ttfaMs.n,
      note: `max ${round(r.ttfaMs.max)} ms` }),
    figure({ id: 'xtts.onnx.rtf', label: `XTTS onnx RTF (${what})`, value: round(r.rtf.p50, 3), unit: '×', samples: r.rtf.n,
      note: `${r.tokensPerRun} tokens = ${round(r.audioSecondsPerRun!, 2)} s of audio per run; max ${round(r.rtf.max, 3)}` }),
  ];
}

/**
 * A numeric flag: `--name V` or `--name=V`, else the environment variable, else `fallback`.
 * @throws Error naming the flag when its value is not a positive number
 */
function numberFlag(argv: readonly string[], name: string, env: string, fallback: number): number {
  const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  const raw = i < 0 ? process.env[env] : argv[i]!.includes('=') ? argv[i]!.slice(name.length + 1) : argv[i + 1];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!(value > 0)) throw new Error(`${i < 0 ? env : name}: expected a positive number, got "${raw}"`);
  return value;
}

/** `--soak`: issue 11's soak (bench/README.md "Soak"); prints its table and writes soak-<date>.json. */
async function soak(argv: readonly string[], strict: boolean): Promise<void> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const progress = (msg: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  const rooms = Math.round(numberFlag(argv, '--soak-rooms', 'VRPG_BENCH_SOAK_ROOMS', 48));
  const minutes = numberFlag(argv, '--soak-minutes', 'VRPG_BENCH_SOAK_MINUTES', 10);
  const result = await measureSoak({ rooms, minutes, sampleMs: 30_000, progress });
  const figures = soakFigures(result);
  const failed = figures.filter((f) => f.pass === false);
  process.stdout.write(`\nVRPG Narrator soak — ${startedAt}, ${rooms} rooms × ${minutes} min, ${cpus().length} CPUs, Node ${process.version}\n\n`);
  process.stdout.write(formatTable(figures) + '\n\n');
  process.stdout.write(`${figures.filter((f) => f.pass !== null).length - failed.length} of ${figures.filter((f) => f.pass !== null).length} targets met` +
    (failed.length ? `; missed: ${failed.map((f) => f.id).join(', ')}` : '') + '\n');
  const file = writeResults(RESULTS_DIR, {
    startedAt, durationSeconds: round((performance.now() - t0) / 1000, 1), commit: gitCommit(),
    machine: { node: process.version, platform: `${platform()} ${release()}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null },
    figures, details: result,
  }, 'soak');
  process.stdout.write(`wrote ${file}\n`);
  if (strict && failed.length > 0) process.exitCode = 1;
}

/** Sections `--only` runs alone: what each measures and how its figures are made (bench/README.md). */
const SECTIONS = {
  quality: {
    measure: (p: BenchPipeline, quick: boolean, progress: (msg: string) => void) => measureQuality(p, { quick, progress }),
    figures: (r: QualityResult) => qualityFigures(r),
  },
  'rooms-webrtc': {
    measure: (p: BenchPipeline, quick: boolean, progress: (msg: string) => void) => measureWebRtcRoomsSection(p, { quick, progress }),
    figures: webRtcRoomsFigures,
  },
  'audio-path': {
    measure: (p: BenchPipeline, quick: boolean, progress: (msg: string) => void) => measureAudioPath(p, { quick, progress }),
    figures: audioPathFigures,
  },
  processes: {
    measure: (_p: BenchPipeline, quick: boolean, progress: (msg: string) => void) => measureProcesses({ quick, progress }),
    figures: processesFigures,
  },
  llm: {
    measure: (_p: BenchPipeline, quick: boolean, progress: (msg: string) => void) => measureLlm({ quick, progress }),
    figures: llmFigures,
  },
} as const;
type SectionName = keyof typeof SECTIONS;

/**
 * `--only <section>`: one section alone (bench/README.md "Quality", "Rooms with WebRTC listeners");
 * prints its table and writes <section>-<date>.json.
 */
async function sectionOnly(kind: SectionName, quick: boolean, strict: boolean): Promise<void> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const progress = (msg: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  const workDir = mkdtempSync(join(tmpdir(), 'vrpg-bench-'));
  const p = new BenchPipeline(workDir);
  const section = SECTIONS[kind];
  let result: Awaited<ReturnType<typeof section.measure>>;
  try {
    result = await section.measure(p, quick, progress);
  } finally {
    await p.close();
    rmSync(workDir, { recursive: true, force: true });
  }
  const figures = (section.figures as (r: typeof result) => Figure[])(result);
  const judged = figures.filter((f) => f.pass !== null);
  const failed = judged.filter((f) => f.pass === false);
  process.stdout.write(`\nVRPG Narrator benchmark, ${kind} section${quick ? ' (quick)' : ''} — ${startedAt}, ${cpus().length} CPUs, Node ${process.version}\n\n`);
  process.stdout.write(formatTable(figures) + '\n\n');
  process.stdout.write(`${judged.length - failed.length} of ${judged.length} targets met` + (failed.length ? `; missed: ${failed.map((f) => f.id).join(', ')}` : '') + '\n');
  const file = writeResults(RESULTS_DIR, {
    startedAt, quick, durationSeconds: round((performance.now() - t0) / 1000, 1), commit: gitCommit(),
    machine: { node: process.version, platform: `${platform()} ${release()}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null },
    figures, passed: judged.length - failed.length, failed: failed.map((f) => f.id), details: { [kind]: result },
  }, kind);
  process.stdout.write(`wrote ${file}\n`);
  if (strict && failed.length > 0) process.exitCode = 1;
}

/** The value of `--name V` or `--name=V`, or undefined. */
function stringFlag(argv: readonly string[], name: string): string | undefined {
  const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return argv[i]!.includes('=') ? argv[i]!.slice(name.length + 1) : argv[i + 1];
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  if (args.has('--soak')) return soak(process.argv.slice(2), args.has('--strict'));
  const only = stringFlag(process.argv.slice(2), '--only');
  if (only !== undefined) {
    if (!(only in SECTIONS)) throw new Error(`--only: sections that run alone are ${Object.keys(SECTIONS).map((k) => `"${k}"`).join(', ')}; got "${only}"`);
    return sectionOnly(only as SectionName, args.has('--quick'), args.has('--strict'));
  }
  const quick = args.has('--quick');
  const plan = quick ? QUICK : FULL;
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const workDir = mkdtempSync(join(tmpdir(), 'vrpg-bench-'));
  const progress = (msg: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);

  const p = new BenchPipeline(workDir);
  let results: Record<string, unknown>;
  const figures: Figure[] = [];
  let scheduler: SchedulerBenchResult | null = null;
  let xttsRemote: unknown = null;
  let xttsOnnx: XttsOnnxBenchResult | null = null;
  let opusCost: unknown = null;
  let browser: BrowserBenchResult | null = null;
  let bridge: BridgeBenchResult | null = null;
  let quality: QualityResult | null = null;
  let llm: LlmBenchResult | null = null;
  try {
    progress('createNarrator → ready, espeak-ng');
    const espeak = await p.narrator('espeak');
    figures.push(figure({ id: 'startup.espeak', label: 'createNarrator() → ready (espeak-ng)', value: espeak.startupMs, unit: 'ms',
      note: 'config validated, plugins mounted, engine warm (8 warm-up sentences), playout thread running' }));

    progress(`TTFA, espeak-ng, ${plan.ttfaIterations} narrations`);
    const ttfa = await measureTtfa(p, plan.ttfaIterations);
    figures.push(
      figure({ id: 'ttfa.espeak.p50', label: 'TTFA p50 (espeak-ng)', value: round(ttfa.ttfaMs.p50), unit: 'ms', samples: ttfa.ttfaMs.n }),
      figure({
        id: 'ttfa.espeak.p95', label: 'TTFA p95 (espeak-ng)', value: round(ttfa.ttfaMs.p95), unit: 'ms',
        target: { op: '<=', value: 150 }, samples: ttfa.ttfaMs.n,
        note: `event received → first frame handed to sinks; max ${round(ttfa.ttfaMs.max)} ms, ${round(ttfa.meanChunks, 1)} chunks/narration`,
      }),
    );

    progress(`pipeline overhead, instant engine, ${plan.overheadIterations} narrations`);
    const overhead = await measureOverhead(p, plan.overheadIterations);
    figures.push(
      figure({ id: 'ttfa.instant.p95', label: 'TTFA p95 (instant engine)', value: round(overhead.ttfaMs.p95), unit: 'ms', samples: overhead.ttfaMs.n,
        note: `p50 ${round(overhead.ttfaMs.p50)} ms; includes the wait for the next 20 ms slot (p50 ${round(overhead.slotWaitMs.p50)} ms)` }),
      figure({
        id: 'overhead.p95', label: 'Pipeline overhead p95', value: round(overhead.overheadMs.p95), unit: 'ms',
        target: { op: '<=', value: 5 }, samples: overhead.overheadMs.n,
        note: `TTFA minus the slot wait; event → FIFO p95 ${round(overhead.mainThreadMs.p95)} ms + playout thread p95 ` +
          `${round(overhead.playoutThreadMs.p95)} ms; ${overhead.missedSlot} of ${overhead.overheadMs.n} missed their first slot`,
      }),
    );

    progress(`cancel latency, espeak-ng, ${plan.cancelIterations} narrations`);
    const cancel = await measureCancel(p, plan.cancelIterations);
    figures.push(figure({
      id: 'cancel.p95', label: 'Cancel latency p95', value: round(cancel.reportedMs.p95), unit: 'ms',
      target: { op: '<=', value: 20 }, samples: cancel.reportedMs.n,
      note: `reports; as the capture sink saw it p95 ${round(cancel.seenBySinkMs.p95)} ms, max ${round(cancel.seenBySinkMs.max)} ms` +
        (cancel.endedBeforeCancel ? `; ${cancel.endedBeforeCancel} ended before the cancel` : ''),
    }));

    progress(`frame jitter, ${plan.jitterSeconds} s without and with ${plan.stallMs} ms main-thread stalls`);
    const calm = await measureJitter(p, { seconds: plan.jitterSeconds, stallMs: 0 });
    const stalled = await measureJitter(p, { seconds: plan.jitterSeconds, stallMs: plan.stallMs });
    figures.push(
      figure({ id: 'jitter.calm.p95', label: 'Frame jitter p95', value: round(calm.jitterMs.p95, 3), unit: 'ms',
        target: { op: '<=', value: 2 }, samples: calm.jitterMs.n, note: `${calm.overTargetDeltas} deltas off by > 2 ms; max Δt ${round(calm.maxDeltaMs)} ms` }),
      figure({ id: 'jitter.calm.gaps', label: 'Frame gaps', value: calm.gaps, unit: 'gaps', target: { op: '==', value: 0 }, samples: calm.frames }),
      figure({ id: 'jitter.stall.p95', label: `Frame jitter p95, ${plan.stallMs} ms stalls`, value: round(stalled.jitterMs.p95, 3), unit: 'ms',
        target: { op: '<=', value: 2 }, samples: stalled.jitterMs.n,
        note: `${stalled.stalls} stalls; ${stalled.overTargetDeltas} deltas off by > 2 ms; max Δt ${round(stalled.maxDeltaMs)} ms; ${stalled.underruns} underruns` }),
      figure({ id: 'jitter.stall.gaps', label: `Frame gaps, ${plan.stallMs} ms stalls`, value: stalled.gaps, unit: 'gaps',
        target: { op: '==', value: 0 }, samples: stalled.frames }),
    );

    progress(`rooms at once, espeak-ng, steps ${plan.roomSteps.join(', ')}`);
    const roomsEspeak = await measureRooms(p, 'espeak', { steps: plan.roomSteps, seconds: plan.roomSeconds, budgetMs: plan.roomsBudgetMs });
    progress(`rooms at once, instant engine (playout capacity)`);
    const roomsInstant = await measureRooms(p, 'instant', { steps: plan.roomSteps, seconds: plan.roomSeconds, budgetMs: plan.roomsBudgetMs });
    figures.push(
      roomsFigure(roomsEspeak, 'rooms.espeak', 'Rooms, 0 underruns (espeak-ng)'),
      roomsFigure(roomsInstant, 'rooms.instant', 'Playout capacity (instant engine)'),
    );

    progress('scheduler per GPU tier (simulated engines, virtual time)');
    scheduler = await runSchedulerScenario({ quick });

    progress('XTTS remote path on loopback (stand-in server)');
    const remote = (await measureRemoteTtfa(quick ? 50 : 200)) as Record<string, { median: number; p95: number; max: number }>;
    xttsRemote = remote;
    const added = Object.entries(remote).find(([k]) => /first.?byte/i.test(k))?.[1];
    if (added) {
      figures.push(figure({ id: 'xtts.remote.addedTtfa.p95', label: 'XTTS remote path: first byte → first block p95', value: round(added.p95, 3), unit: 'ms',
        note: `median ${added.median} ms, max ${added.max} ms; stand-in server on loopback` }));
    }

    progress('Opus encoding cost per room (webrtc sink: resample to 48 kHz + encode, once per room per frame)');
    const opus = await measureOpusEncodeCost(quick ? 500 : 1500, { sampleRate: 22_050 });
    opusCost = opus;
    figures.push(figure({ id: 'webrtc.opusEncode.p50', label: 'Opus encode per room per 20 ms frame p50', value: round(opus.perFrameUs.p50, 0), unit: 'µs', samples: opus.frames,
      note: `p95 ${round(opus.perFrameUs.p95, 0)} µs = ${round(opus.p95FrameBudgetShare * 100, 1)} % of the frame; 22 050 Hz room, 32 kbit/s; rooms with no listener skip it` }));

    progress(`browser: ${quick ? 20 : 30} narrations heard in headless Chromium over direct WebRTC (espeak-ng)`);
    browser = await measureBrowser({ narrations: quick ? 20 : 30 });
    figures.push(...browserFigures(browser));

    progress(`game bridge: 20 narrations heard by a Node bridge client, jitter ${plan.jitterSeconds} s calm and with ${plan.stallMs} ms stalls, cost with 50 clients`);
    bridge = await measureBridge({ narrations: 20, jitterSeconds: plan.jitterSeconds, stallMs: plan.stallMs, cpuClients: 50 });
    figures.push(...bridgeFigures(bridge));

    xttsOnnx = await benchXttsOnnx(quick, progress);
    figures.push(...xttsOnnxFigures(xttsOnnx));

    quality = await measureQuality(p, { quick, progress });
    figures.push(...qualityFigures(quality));

    llm = await measureLlm({ quick, progress });
    figures.push(...llmFigures(llm));

    const playoutStats = { espeak: await p.playoutStats('espeak'), instant: await p.playoutStats('instant') };
    results = {
      startedAt,
      quick,
      durationSeconds: round((performance.now() - t0) / 1000, 1),
      machine: { node: process.version, platform: `${platform()} ${release()}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null },
      commit: gitCommit(),
      config: { playout: espeak.config.playout, espeak: espeak.config.plugins['tts-espeak'], plan },
      figures,
      passed: figures.filter((f) => f.pass === true).length,
      failed: figures.filter((f) => f.pass === false).map((f) => f.id),
      details: { ttfa, overhead, cancel, jitter: { calm, stalled }, rooms: { espeak: roomsEspeak, instant: roomsInstant }, playoutStats, scheduler, xttsRemote, xttsOnnx, opusCost, browser, bridge, quality, llm },
    };
  } finally {
    await p.close();
    rmSync(workDir, { recursive: true, force: true });
  }

  const judged = figures.filter((f) => f.pass !== null);
  const failed = judged.filter((f) => f.pass === false);
  process.stdout.write(`\nVRPG Narrator benchmark${quick ? ' (quick)' : ''} — ${startedAt}, ${cpus().length} CPUs, Node ${process.version}\n\n`);
  process.stdout.write(formatTable(figures) + '\n\n');
  if (scheduler) process.stdout.write('Scheduler per tier (simulated engines, virtual time):\n' + formatSchedulerTable(scheduler) + '\n\n');
  process.stdout.write(`${judged.length - failed.length} of ${judged.length} targets met` + (failed.length ? `; missed: ${failed.map((f) => f.id).join(', ')}` : '') + '\n');
  const file = writeResults(RESULTS_DIR, results as { startedAt: string });
  process.stdout.write(`wrote ${file} and ${join(RESULTS_DIR, 'latest.json')}\n`);
  if (args.has('--strict') && failed.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
