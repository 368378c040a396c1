import { Redis } from 'ioredis';
import { cpus } from 'node:os';
import { rmSync } from 'node:fs';
import { RedisServer, redisServerMissing } from '../../tools/local-cluster/redis-server.ts';
import { ServeProcess } from '../../tools/local-cluster/serve-process.ts';
import { TableClient } from '../../server/cli/table-client.ts';
import type { NarrationReport } from '../../server/narration/narration.ts';
import { charsPerSecondForRate } from '../../plugins/tts-espeak/speaking-rate.ts';
import { percentile, round } from '../percentile.ts';
import { figure, type Figure } from '../report.ts';
import { passageOf } from '../texts.ts';
import { sleep } from '../util.ts';

/**
 * Steps (tables narrating at once) and wall budget per setup, ms: a setup stops stepping at its first
 * failing step or once its budget is spent. Quick: the whole section in about 3 minutes on 2 cores.
 */
const FULL = { steps: [4, 8, 12, 16, 20, 24, 28, 32, 40, 48, 64, 96, 128], budgetMs: 300_000 };
const QUICK = { steps: [16, 24, 32, 40, 48, 64], budgetMs: 60_000 };
/** Length of each table's passage, seconds of espeak-ng audio at its default 175 wpm. */
const PASSAGE_SECONDS = 5;
/** A narration that has not ended within this long fails its step (far above any 5 s passage's queue here). */
const NARRATION_TIMEOUT_MS = 120_000;

/** One step: `rooms` tables narrating a ~5 s passage at once, spread over the setup's processes. */
export interface ProcessesStep {
  readonly rooms: number;
  /** Zero underruns over every report, every narration ended with audio, no error (a failing step runs once more; this is the last attempt). */
  readonly passed: boolean;
  readonly underruns: number;
  readonly roomsWithUnderruns: number;
  /** Narrations that failed (error, timeout, no audio), with the first reason. */
  readonly failures: number;
  readonly firstFailure: string | null;
  /** Server-side TTFA (request received → first frame to the sinks) over the step's reports, ms. */
  readonly ttfaP95Ms: number | null;
  readonly ttfaMaxMs: number | null;
  readonly meanAudioMs: number;
  /** Narrate requests sent → last report received, ms. */
  readonly wallMs: number;
  /** `vrpg_rooms` of each process (in start order; the first is the one every client matchmakes through). */
  readonly hosted: readonly number[];
  /** When the step failed at first and ran again: that first attempt (the figures above are the second's). */
  readonly firstAttempt?: ProcessesStep;
}

/** One setup: `processes` serve processes behind one redis-server, stepped up to its first failing step. */
export interface ProcessesSetup {
  readonly processes: number;
  readonly steps: readonly ProcessesStep[];
  /** Largest step that passed (0 when none did). */
  readonly maxRooms: number;
  /** No step failed: the capacity may be higher (the steps or the budget ran out). */
  readonly capped: boolean;
  /** Spawn → listening of each process (espeak-ng warm-up included), ms. */
  readonly startupMs: readonly number[];
}

/** Result of the `processes` section, or why it could not run. */
export type ProcessesResult =
  | { readonly skipped: string }
  | { readonly one: ProcessesSetup; readonly two: ProcessesSetup; readonly cpus: number; readonly passageChars: number };

/** `vrpg_rooms` of one process's /metrics. @throws Error when the line is missing */
async function hostedRooms(proc: ServeProcess): Promise<number> {
  const text = await (await fetch(`http://${proc.address}/metrics`)).text();
  const line = /^vrpg_rooms (\d+)$/m.exec(text);
  if (!line) throw new Error(`no vrpg_rooms in /metrics of ${proc.address}`);
  return Number(line[1]);
}

/** Sum of the room counts Colyseus keeps in Redis (`roomcount`, `"<rooms>,<ccu>"` per process). */
async function listedRoomCount(redis: Redis): Promise<number> {
  return Object.values(await redis.hgetall('roomcount')).reduce((s, v) => s + Number(v.split(',')[0]), 0);
}

/**
 * Creates tables through `entry` until there are `n`. With several processes, each create waits
 * (≤ 3 s) until the counts in Redis include it: Colyseus places a room on the process with the fewest
 * rooms by those counts, which each process writes at most once a second, so creating faster than
 * that piles rooms onto whichever process looks emptiest on stale figures.
 */
async function growTables(entry: ServeProcess, tables: TableClient[], n: number, redis: Redis, spread: boolean): Promise<void> {
  while (tables.length < n) {
    tables.push(await TableClient.create(entry.endpoint, { name: `DM ${tables.length}` }));
    if (!spread) continue;
    const deadline = Date.now() + 3000;
    while ((await listedRoomCount(redis)) < tables.length && Date.now() < deadline) await sleep(50);
  }
}

/** Every table's DM narrates its passage at once; resolves with the step's figures. */
async function narrateAll(tables: readonly TableClient[], procs: readonly ServeProcess[], cps: number): Promise<ProcessesStep> {
  const hosted = await Promise.all(procs.map(hostedRooms));
  const t0 = performance.now();
  const outcomes = await Promise.all(tables.map(async (dm, i): Promise<NarrationReport | string> => {
    try {
      const reply = await dm.request('narrate', { text: passageOf(PASSAGE_SECONDS, cps, i) }, 30_000);
      if (!reply.ok) return `narrate refused: ${reply.message}`;
      const report = await dm.waitForEnd(reply.narrationId, NARRATION_TIMEOUT_MS);
      if (report.error) return `narration error: ${JSON.stringify(report.error)}`;
      if (report.cancelled) return 'narration cancelled';
      if (!(report.audioMs > 0)) return 'narration ended without audio';
      return report;
    } catch (err) {
      return (err as Error).message;
    }
  }));
  const wallMs = performance.now() - t0;
  const reports = outcomes.filter((o): o is NarrationReport => typeof o !== 'string');
  const failures = outcomes.filter((o): o is string => typeof o === 'string');
  const ttfa = reports.map((r) => r.ttfaMs ?? Infinity);
  const underruns = reports.reduce((s, r) => s + r.underruns, 0);
  return {
    rooms: tables.length,
    passed: failures.length === 0 && underruns === 0,
    underruns,
    roomsWithUnderruns: reports.filter((r) => r.underruns > 0).length,
    failures: failures.length,
    firstFailure: failures[0] ?? null,
    ttfaP95Ms: ttfa.length ? round(percentile(ttfa, 95)) : null,
    ttfaMaxMs: ttfa.length ? round(Math.max(...ttfa)) : null,
    meanAudioMs: reports.length ? round(reports.reduce((s, r) => s + r.audioMs, 0) / reports.length) : 0,
    wallMs: round(wallMs),
    hosted,
  };
}

/**
 * Starts `count` serve processes behind `redis` (one at a time: warm-ups at once only slow each
 * other on 2 cores), steps the tables up through the first process, then leaves every table, stops
 * the processes and empties Redis for the next setup.
 */
async function measureSetup(
  redisServer: RedisServer, redis: Redis, count: number, plan: { steps: readonly number[]; budgetMs: number }, cps: number, progress: (msg: string) => void,
): Promise<ProcessesSetup> {
  const procs: ServeProcess[] = [];
  const tables: TableClient[] = [];
  const startupMs: number[] = [];
  const steps: ProcessesStep[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      // Quiet logs: warnings and errors only (the CLI's own "listening" line is not a log line). No
      // room-creation limit: every table here is created from one address, which is what the limit
      // (`limits.roomsPerMinutePerAddress`, 30 a minute by default) exists to stop.
      procs.push(await ServeProcess.start({ redisUrl: redisServer.url, env: { VRPG_LOG__LEVEL: 'warn', VRPG_LIMITS__ROOMS_PER_MINUTE_PER_ADDRESS: '0' } }));
      startupMs.push(round(performance.now() - t));
    }
    const started = performance.now();
    for (const n of plan.steps) {
      if (performance.now() - started > plan.budgetMs) break;
      await growTables(procs[0]!, tables, n, redis, count > 1);
      // A failing step runs once more before it counts: on a shared 2-core machine one underrun can be
      // another process's burst, and a capacity figure should not hang on one such moment.
      let step = await narrateAll(tables, procs, cps);
      const first = step;
      if (!first.passed) step = { ...(await narrateAll(tables, procs, cps)), firstAttempt: first };
      steps.push(step);
      for (const s of first === step ? [step] : [first, step]) {
        progress(`  ${count} process(es), ${n} tables${s === first ? '' : ' (again)'}: ${s.passed ? 'pass' : 'FAIL'}, ${s.underruns} underruns in ${s.roomsWithUnderruns} room(s)` +
          `${s.failures ? `, ${s.failures} failed (${s.firstFailure})` : ''}, TTFA p95 ${s.ttfaP95Ms} ms, vrpg_rooms ${s.hosted.join('/')}, ${Math.round(s.wallMs / 1000)} s`);
      }
      if (!step.passed) break;
    }
  } finally {
    await Promise.all(tables.map((t) => t.leave()));
    for (const p of procs) {
      p.kill('SIGTERM');
      const exited = await Promise.race([p.exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!exited) await p.stop();
      rmSync(p.recordingsDir, { recursive: true, force: true });
    }
    await redis.flushall();
  }
  const passing = steps.filter((s) => s.passed);
  return {
    processes: count,
    steps,
    maxRooms: passing.length ? Math.max(...passing.map((s) => s.rooms)) : 0,
    capped: steps.every((s) => s.passed),
    startupMs,
  };
}

/**
 * The `processes` section (bench/README.md "Processes behind Redis"): a real Debian redis-server,
 * then one `vrpg-narrator serve --redis` process (the built CLI: `npm run build` first), then two
 * behind the same Redis; for each, N tables (official @colyseus/sdk clients, all matchmaking through
 * the first process, each its table's DM) narrate a ~5 s espeak-ng passage at once into the `wav`
 * sink, N stepping up until a step has an underrun or a failed narration.
 * @returns the two setups, or `skipped` when redis-server is not installed
 */
export async function measureProcesses(opts: { quick: boolean; progress: (msg: string) => void }): Promise<ProcessesResult> {
  const missing = redisServerMissing();
  if (missing) return { skipped: missing };
  const plan = opts.quick ? QUICK : FULL;
  const cps = charsPerSecondForRate(175);
  const redisServer = await RedisServer.start();
  const redis = new Redis(redisServer.url);
  try {
    opts.progress(`processes: one serve --redis process, tables ${plan.steps.join(', ')} (until the first failing step, budget ${plan.budgetMs / 1000} s)`);
    const one = await measureSetup(redisServer, redis, 1, plan, cps, opts.progress);
    opts.progress('processes: two serve --redis processes behind the same Redis, same steps');
    const two = await measureSetup(redisServer, redis, 2, plan, cps, opts.progress);
    return { one, two, cpus: cpus().length, passageChars: passageOf(PASSAGE_SECONDS, cps, 0).length };
  } finally {
    redis.disconnect();
    await redisServer.stop();
  }
}

function setupFigures(s: ProcessesSetup, key: string, label: string): Figure[] {
  const best = s.steps.find((x) => x.rooms === s.maxRooms);
  const failed = s.steps.find((x) => !x.passed);
  return [
    figure({
      id: `processes.${key}.maxRooms`, label: `Tables at 0 underruns, ${label}`, value: s.maxRooms, unit: 'rooms',
      qualifier: s.capped && s.steps.length ? '≥' : undefined, samples: s.steps.length,
      note: `steps ${s.steps.map((x) => `${x.rooms}:${x.firstAttempt ? `${x.firstAttempt.underruns}u then ` : ''}${x.passed ? '' : 'FAIL '}${x.underruns}u${x.failures ? ` ${x.failures} failed` : ''}`).join(' ')}` +
        (failed ? ` (first failure at ${failed.rooms}: ${failed.roomsWithUnderruns} room(s) with underruns${failed.firstFailure ? `; ${failed.firstFailure}` : ''})` : ' (no step failed: capacity may be higher)') +
        `; startup ${s.startupMs.join(' + ')} ms`,
    }),
    figure({ id: `processes.${key}.ttfa.p95`, label: `  TTFA p95 at ${best?.rooms ?? 0} tables`, value: best?.ttfaP95Ms ?? null, unit: 'ms', samples: best?.rooms,
      note: best ? `max ${best.ttfaMaxMs} ms; mean audio ${best.meanAudioMs} ms per narration; ${Math.round(best.wallMs)} ms wall` : 'no step passed' }),
    figure({ id: `processes.${key}.hosted`, label: `  vrpg_rooms per process at ${best?.rooms ?? 0} tables`, value: best ? Math.max(...best.hosted) : null, unit: 'rooms',
      note: best ? `placement ${best.hosted.join(' / ')} (first = the process every client matchmakes through); value = the busiest process` : 'no step passed' }),
  ];
}

/** The section's rows: per setup the largest passing step, TTFA p95 and placement there; then the ratio two/one. */
export function processesFigures(r: ProcessesResult): Figure[] {
  if ('skipped' in r) return [figure({ id: 'processes.ratio', label: 'Two processes / one, tables at 0 underruns', value: null, unit: '×', note: `skipped: ${r.skipped}` })];
  const ratio = r.one.maxRooms > 0 ? round(r.two.maxRooms / r.one.maxRooms, 2) : null;
  return [
    ...setupFigures(r.one, 'one', 'one serve --redis process'),
    ...setupFigures(r.two, 'two', 'two processes behind one Redis'),
    figure({
      id: 'processes.ratio', label: 'Two processes / one, tables at 0 underruns', value: ratio, unit: '×',
      qualifier: r.two.capped && !r.one.capped ? '≥' : undefined,
      note: `${r.cpus} CPUs shared by both processes, the bench's SDK clients and redis-server; espeak-ng, wav sink, ${r.passageChars}-character passages` +
        (r.one.capped ? '; one process never failed, so the ratio is not a capacity ratio' : ''),
    }),
  ];
}
