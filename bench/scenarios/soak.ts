import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadConfig } from '../../server/config/load-config.ts';
import { AppConfigSchema } from '../../server/config/schema.ts';
import { createLogger } from '../../server/observability/log.ts';
import { startTableServer, type TableServer } from '../../server/app.ts';
import { siblingModule } from '../../server/threads/spawn-worker.ts';
import { TableClient } from '../../server/cli/table-client.ts';
import { figure, type Figure } from '../report.ts';
import { percentile, round } from '../percentile.ts';
import { sleep } from '../util.ts';
import type { SoakClientResult, SoakCommand } from './soak-clients.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/plugins', import.meta.url));

/** Options of {@link measureSoak}. */
export interface SoakOptions {
  /** Rooms narrating at once (each: a DM, a player, a bridge listener). */
  readonly rooms: number;
  /** Length of the run after the rooms are seated, minutes. */
  readonly minutes: number;
  /** RSS sample period, ms (30 000 in the issue). */
  readonly sampleMs: number;
  /** `espeak` (the real engine, default) or `instant` (the fixture tone: everything but synthesis). */
  readonly engine?: 'espeak' | 'instant';
  /** Progress lines. */
  readonly progress?: (msg: string) => void;
}

/** One memory sample of the server process, MiB; `atS` from the start of the run. */
export interface MemorySample {
  readonly atS: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly externalMiB: number;
}

/** Result of {@link measureSoak}. */
export interface SoakResult {
  readonly options: Omit<SoakOptions, 'progress'>;
  /** After the server started and one warm-up room narrated and left, settled (a full GC, RSS steady within 2 % over 10 s). */
  readonly baseline: MemorySample;
  /** Every `sampleMs` during the run (no forced GC: what the host sees), the first right after seating. */
  readonly samples: MemorySample[];
  /** The sample growth is measured from: the first at or after the warm-up (a quarter of the run, at most 2 min). */
  readonly warm: MemorySample;
  /** (last sample − warm) / warm, %. */
  readonly rssGrowthPct: number;
  /** After every client left and every room closed, settled as {@link baseline}. */
  readonly afterLeave: MemorySample;
  /** (afterLeave − baseline) / baseline, %. */
  readonly afterLeavePct: number;
  /** Narration reports the server still held after everyone left (closed rooms' reports are released). */
  readonly reportsHeldAfterLeave: number;
  readonly clients: SoakClientResult;
}

/**
 * The process's memory once it settled: a full GC of the main thread (V8's `gc`, reached without
 * --expose-gc on the command line) every 2 s until RSS moved less than 2 % over the last 10 s, at
 * most `maxMs`. The worker threads' heaps (playout, espeak-ng's wasm2js) and the allocator give memory
 * back on their own time: right after start, with nothing running, RSS fell from 426 to 331 MiB over
 * 35 s in steps, with 3-s stretches where it did not move.
 * @param atS the sample's time label, s
 */
async function settledMemory(atS: () => number, maxMs = 120_000): Promise<MemorySample> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const end = performance.now() + maxMs;
  const seen: MemorySample[] = [];
  for (;;) {
    gc();
    const now = memory(atS());
    seen.push(now);
    const tenAgo = seen.length > 5 ? seen[seen.length - 6]! : null;
    if ((tenAgo && Math.abs(now.rssMiB - tenAgo.rssMiB) < now.rssMiB / 50) || performance.now() > end) return now;
    await sleep(2000);
  }
}

function memory(atS: number): MemorySample {
  const m = process.memoryUsage();
  const mib = (b: number) => round(b / 2 ** 20, 1);
  return { atS: round(atS, 1), rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), externalMiB: mib(m.external) };
}

/**
 * The soak (issue 11, "Soak and load in the bench"): a table server in this process (espeak-ng, sinks
 * `wav` and `bridge`) and every client in a child process (soak-clients.ts): `rooms` rooms, each a DM
 * narrating back to back and two players, one of them listening over the game bridge; one flooding
 * client; one room-churn loop; a `/health` poller. Samples this process's memory every `sampleMs`.
 * @throws Error when the server cannot start or the clients' process fails
 */
export async function measureSoak(options: SoakOptions): Promise<SoakResult> {
  const progress = options.progress ?? (() => undefined);
  const engine = options.engine ?? 'espeak';
  const recordingsDir = mkdtempSync(join(tmpdir(), 'vrpg-bench-soak-'));
  const { config } = loadConfig({
    env: {},
    overrides: {
      port: 0, host: '127.0.0.1', engine, pluginDirs: [FIXTURES], plugins: { [engine === 'espeak' ? 'tts-espeak' : 'instant-engine']: {} },
      sinks: ['wav', 'bridge'], recordingsDir,
      // Every client of the run comes from 127.0.0.1: a per-address room-creation limit would stop the churn loop.
      ...('roomsPerMinutePerAddress' in AppConfigSchema.parse({}).limits ? { 'limits.roomsPerMinutePerAddress': 0 } : {}),
    },
  });
  // `error`: the flooder's disconnects are logged at `warn`, dozens a minute.
  const app = await startTableServer(config, createLogger('error'));
  const endpoint = `ws://127.0.0.1:${app.port}`;
  let child: ChildProcess | null = null;
  try {
    // Warm-up: every code path of a room loaded once, so the baseline is not the cold process.
    const warmDm = await TableClient.create(endpoint, { name: 'Warm-up DM' });
    const warmReply = await warmDm.request('narrate', { text: 'The bench warms up.' });
    if (warmReply.ok) await warmDm.waitForEnd(warmReply.narrationId);
    await warmDm.leave();
    await until(() => app.narrator.roomCount === 0, 10_000);
    const baseline = await settledMemory(() => 0);
    progress(`soak: baseline RSS ${baseline.rssMiB} MiB; seating ${options.rooms} rooms`);

    child = fork(fileURLToPath(siblingModule('soak-clients', import.meta.url)), [], { execArgv: process.execArgv, silent: true });
    const stderr: string[] = [];
    child.stderr!.on('data', (d: Buffer) => {
      stderr.push(d.toString());
      if (stderr.length > 50) stderr.shift();
    });
    child.stdout!.resume();
    const call = callChild(child, () => stderr.join('').slice(-2000));
    await call({ cmd: 'seat', endpoint, bridgeUrl: `${endpoint}/bridge`, rooms: options.rooms });

    const durationMs = options.minutes * 60_000;
    const t0 = performance.now();
    const samples: MemorySample[] = [memory(0)];
    progress(`soak: ${options.rooms} rooms seated, RSS ${samples[0]!.rssMiB} MiB; running ${options.minutes} min`);
    const sampler = setInterval(() => {
      const s = memory((performance.now() - t0) / 1000);
      samples.push(s);
      progress(`soak: t=${Math.round(s.atS)} s RSS ${s.rssMiB} MiB, heap ${s.heapUsedMiB} MiB, rooms ${app.narrator.roomCount}`);
    }, options.sampleMs);
    let clients: SoakClientResult;
    try {
      clients = (await call({ cmd: 'run', durationMs })) as SoakClientResult;
    } finally {
      clearInterval(sampler);
    }
    const end = memory((performance.now() - t0) / 1000);
    if (end.atS - samples[samples.length - 1]!.atS > options.sampleMs / 2000) samples.push(end);

    progress('soak: everyone leaves');
    await call({ cmd: 'leave' });
    child.disconnect();
    await until(() => app.narrator.roomCount === 0, 30_000);
    const afterLeave = await settledMemory(() => (performance.now() - t0) / 1000);

    const warmUpS = Math.min(120, (durationMs / 1000) / 4);
    const warm = samples.find((s) => s.atS >= warmUpS) ?? samples[0]!;
    const last = samples[samples.length - 1]!;
    return {
      options: { rooms: options.rooms, minutes: options.minutes, sampleMs: options.sampleMs, engine },
      baseline, samples, warm,
      rssGrowthPct: round(((last.rssMiB - warm.rssMiB) / warm.rssMiB) * 100, 1),
      afterLeave,
      afterLeavePct: round(((afterLeave.rssMiB - baseline.rssMiB) / baseline.rssMiB) * 100, 1),
      reportsHeldAfterLeave: app.narrator.report().rooms.reduce((n, r) => n + r.narrations.length, 0),
      clients,
    };
  } finally {
    child?.kill();
    await app.close();
    rmSync(recordingsDir, { recursive: true, force: true });
  }
}

/** The soak's figures for the bench table (targets from issue 11). */
export function soakFigures(r: SoakResult): Figure[] {
  const c = r.clients;
  const all = [...c.reports, ...c.churnReports];
  const ttfa = all.map((n) => n.ttfaMs).filter((v): v is number => v !== null);
  const underruns = all.reduce((s, n) => s + n.underruns, 0);
  const failed = all.filter((n) => n.error !== null).length;
  const size = `${r.options.rooms} rooms × ${r.options.minutes} min`;
  const series = r.samples.map((s) => `${Math.round(s.atS)}s:${s.rssMiB}`).join(' ');
  const codes = Object.entries(c.flood.closeCodes).map(([k, v]) => `${k}×${v}`).join(', ');
  const refusals = Object.entries(c.refused).map(([k, v]) => `${k} ×${v}`).join('; ');
  return [
    figure({ id: 'soak.rss.growth', label: `Soak RSS growth after warm-up (${size})`, value: r.rssGrowthPct, unit: '%', target: { op: '<=', value: 10 }, samples: r.samples.length,
      note: `from ${r.warm.rssMiB} MiB at ${Math.round(r.warm.atS)} s to ${r.samples[r.samples.length - 1]!.rssMiB} MiB; RSS MiB every ${r.options.sampleMs / 1000} s: ${series}` }),
    figure({ id: 'soak.underruns', label: 'Soak underruns', value: underruns, unit: 'underruns', target: { op: '==', value: 0 }, samples: all.length,
      note: `${c.reports.length} narrations in the soak rooms, ${c.churnReports.length} in ${c.churnedRooms} churned rooms; ${failed} reported an error` +
        (refusals ? `; refused: ${refusals}` : '') }),
    figure({ id: 'soak.ttfa.p99', label: 'Soak TTFA p99', value: round(percentile(ttfa, 99)), unit: 'ms', samples: ttfa.length,
      note: `p50 ${round(percentile(ttfa, 50))} ms, p95 ${round(percentile(ttfa, 95))} ms, max ${round(percentile(ttfa, 100))} ms (server receipt → first frame to the sinks)` }),
    figure({ id: 'soak.health.p99', label: 'Soak /health p99', value: round(percentile(c.healthMs, 99)), unit: 'ms', samples: c.healthMs.length,
      note: `p50 ${round(percentile(c.healthMs, 50))} ms, max ${round(percentile(c.healthMs, 100))} ms; ${c.healthFailures} failed (no 200 within 5 s)` }),
    figure({ id: 'soak.rss.afterLeave', label: 'Soak RSS after everyone left vs baseline', value: r.afterLeavePct, unit: '%', target: { op: '<=', value: 10 },
      note: `${r.afterLeave.rssMiB} MiB vs ${r.baseline.rssMiB} MiB (both settled: full GC, RSS steady within 2 % over 10 s); heap ${r.afterLeave.heapUsedMiB} vs ${r.baseline.heapUsedMiB} MiB; ` +
        `${r.reportsHeldAfterLeave} narration reports still held` }),
    figure({ id: 'soak.listener.late', label: 'Soak bridge frames > 100 ms late', value: c.listener.lateOver100, unit: 'frames', samples: c.listener.frames,
      note: `one bridge listener per room; max gap between consecutive frames ${round(c.listener.maxGapMs)} ms` }),
    figure({ id: 'soak.flood.maxErrors', label: 'Soak flooder: most errors answered per session', value: c.flood.maxErrorsPerSession, unit: 'errors', samples: c.flood.sessions,
      note: `${c.flood.messages} bad messages in ${c.flood.sessions} sessions; closed with ${codes || 'nothing'} (4429: error budget, 4002: maxMessagesPerSecond)` }),
  ];
}

/** Resolves when `predicate` holds (checked every 100 ms). @throws Error after `timeoutMs` */
async function until(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > end) throw new Error(`soak: condition not met within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Sends commands to the clients' process, one at a time. @throws Error the child reported, or its exit with its stderr */
function callChild(child: ChildProcess, stderrTail: () => string): (command: SoakCommand) => Promise<unknown> {
  return (command) => new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`soak clients exited (${code}) during "${command.cmd}":\n${stderrTail()}`));
    child.once('exit', onExit);
    child.once('message', (m: { ok: boolean; result?: unknown; error?: string }) => {
      child.off('exit', onExit);
      if (m.ok) resolve(m.result);
      else reject(new Error(`soak clients, "${command.cmd}": ${m.error}`));
    });
    child.send(command);
  });
}
