import 'reflect-metadata';
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instantConfig } from '../../fixtures/instant-config.ts';
import { createLogger } from '../../../server/observability/log.ts';
import { startTableServer, type TableServer } from '../../../server/app.ts';

const PROJECT = fileURLToPath(new URL('../../../game-bridge/godot/godot3-client', import.meta.url));
const GODOT = 'godot3-server';
/** The scenario's own timeout is 40 s; the engine's start and the report's write fit in the rest. */
const GODOT_TIMEOUT_MS = 60_000;

/** `godot3-server --version` (e.g. `3.2.3.stable`; it exits 255 after printing it), or null when it is not installed. */
function godotVersion(): string | null {
  const r = spawnSync(GODOT, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  const version = r.error ? '' : (r.stdout ?? '').trim().split('\n').pop()!.trim();
  return /^3\.\d/.test(version) ? version : null;
}

interface Close { code: number; reason: string; t_ms: number }
interface Caption { index: number; text: string; narrationId: string; t_ms: number }
interface Fps { frames: number; window_ms: number; fps: number; fps_steady: number; steady_frames: number; steady_window_ms: number; catch_up_ms: number; stall_ms: number }
interface CancelSide {
  generation_before: number;
  new_generations: number[];
  first_new_generation_ms: number | null;
  old_frames_after_cancel: number;
  old_frames_after_cancel_ms: number[];
  last_old_voiced_after_cancel_ms: number | null;
  old_after_first_new: number;
}
interface Side {
  seated: { v: number; roomId: string; roomName: string; sessionId: string; role: string | null; audio: { format: string; channels: number; rate: number; frameMs: number } | null } | null;
  names_seen: Record<string, string>;
  statuses: Array<{ status: string; t_ms: number }>;
  captions: Caption[];
  starts: Array<Record<string, unknown>>;
  ends: Array<{ id: string; cancelled: boolean; text: string }>;
  errors: Array<{ type: string; code: string; message: string }>;
  closes: Close[];
  audio: {
    frames: number; voiced: number; silent: number; seq_missing: number; seq_out_of_order: number;
    rates: number[]; samples_per_frame: number[]; generations: number[]; rms: number;
    overall_fps: number; max_gap_ms: number; stale_after_newer: number; audio_frames_checked: number;
  };
  jitter: { frames_received: number; frames_late: number; frames_dropped_stale: number; frames_flushed: number; frames_played: number; underruns: number };
}
interface Report {
  ran_to_end: boolean;
  step: string;
  failures: Array<{ step: string; what: string }>;
  dm: Side;
  player: Side;
  closes: Record<'player_not_json' | 'join_v2' | 'join_unknown_room' | 'dm_leave', Close | null>;
  timings: Record<string, number>;
  steps: {
    long_narration_id: string;
    speaking: { dm: Fps; player: Fps };
    cancel: { report: { id: string; cancelled: boolean; cancelLatencyMs?: number } | null; dm: CancelSide; player: CancelSide };
    player_narrate_error?: { type: string; code: string };
    event_accepted?: { type: string; narrationId: string };
    event_end?: { id: string; cancelled: boolean };
    unknown_event_error?: { type: string; code: string };
    bad_request_error?: { type: string; code: string };
    pause: { statuses: string[]; voiced_frames_while_paused: number; paused_window_ms: number; report: { cancelled: boolean } | null };
    dm_players_after_player_left: Array<{ name: string }>;
  };
}

/**
 * The game bridge from a real game engine: a Godot 3 project (game-bridge/godot/godot3-client)
 * run headless by Debian's godot3-server seats a DM and a player through `/bridge`, narrates,
 * cancels, is refused, pauses, sends bad input, and writes what it saw to a JSON report; this
 * test runs the real server (instant engine: a 220 Hz tone as long as the text) and checks it.
 */
describe('game bridge: Godot 3 conformance client (headless godot3-server)', function () {
  this.timeout(120_000);
  let app: TableServer | undefined;
  let report: Report;
  let roomRate: number;
  let version: string | null = null;
  let reportPath = '';

  before(async function () {
    version = godotVersion();
    if (!version) {
      console.log(`      skipped: ${GODOT} (Godot 3) is not installed (Debian/Ubuntu: apt install godot3-server)`);
      this.skip();
    }
    const config = instantConfig({ sinks: ['bridge'], dmSecret: 'sesame' });
    app = await startTableServer(config, createLogger('silent'));
    roomRate = app.narrator.engine.sampleRate;
    const out = (reportPath = join(mkdtempSync(join(tmpdir(), 'vrpg-godot3-out-')), 'report.json'));
    const args = ['--path', PROJECT, '--', `--url=ws://127.0.0.1:${app.port}/bridge`, `--out=${out}`, '--dm-secret=sesame'];
    const { code, log } = await runGodot(args);
    expect(existsSync(out), `${GODOT} wrote no report (exit ${code}):\n${log}`).to.equal(true);
    report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(code, `${GODOT} exit code (report ${out}); its output:\n${log}`).to.equal(0);
  });

  after(async () => {
    await app?.close();
  });

  /** Runs the engine; kills it (its own pid) after GODOT_TIMEOUT_MS. */
  function runGodot(args: string[]): Promise<{ code: number | null; log: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(GODOT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      child.stdout.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr.on('data', (d: Buffer) => (log += d.toString()));
      const timer = setTimeout(() => {
        log += `\n[killed after ${GODOT_TIMEOUT_MS} ms]`;
        child.kill('SIGKILL');
      }, GODOT_TIMEOUT_MS);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, log: log.split('\n').slice(-60).join('\n') });
      });
    });
  }

  it('runs the whole scenario with no failed step', () => {
    const { dm, player, steps, timings, closes } = report;
    const both = (f: (side: Side) => string): string => `${f(dm)} / ${f(player)}`;
    const { speaking, cancel } = steps;
    console.log(
      [
        `godot3-server ${version}, report ${reportPath}; figures (dm / player):`,
        `  speaking: ${speaking.dm.fps_steady.toFixed(1)} / ${speaking.player.fps_steady.toFixed(1)} frames/s over ${Math.round(speaking.dm.steady_window_ms)} / ${Math.round(speaking.player.steady_window_ms)} ms on time ` +
          `(every frame from the first voiced one: ${speaking.dm.fps.toFixed(1)} / ${speaking.player.fps.toFixed(1)} over ${Math.round(speaking.dm.window_ms)} / ${Math.round(speaking.player.window_ms)} ms; longest frame delay ${speaking.dm.stall_ms.toFixed(0)} / ${speaking.player.stall_ms.toFixed(0)} ms); ` +
          `whole connection ${both((s) => s.audio.overall_fps.toFixed(2))} frames/s`,
        `  audio: RMS ${both((s) => s.audio.rms.toFixed(3))}, frames ${both((s) => String(s.audio.frames))}, seq gaps ${both((s) => String(s.audio.seq_missing))}, ` +
          `longest gap ${both((s) => s.audio.max_gap_ms.toFixed(0))} ms, underruns ${both((s) => String(s.jitter.underruns))}; first voiced frame ${fmt(timings.first_voiced_dm_ms - timings.narrate_sent_ms)} ms after narrate`,
        `  cancel: first newer-generation frame ${fmt(cancel.dm.first_new_generation_ms)} / ${fmt(cancel.player.first_new_generation_ms)} ms after sending it, ` +
          `old-generation frames after it ${cancel.dm.old_frames_after_cancel} / ${cancel.player.old_frames_after_cancel} (last voiced at ${fmt(cancel.dm.last_old_voiced_after_cancel_ms)} / ${fmt(cancel.player.last_old_voiced_after_cancel_ms)} ms), ` +
          `server cancel latency ${fmt(cancel.report?.cancelLatencyMs)} ms`,
        `  pause: statuses ${steps.pause.statuses.join(' > ')}, voiced frames while paused ${steps.pause.voiced_frames_while_paused}; ` +
          `closes ${closes.player_not_json?.code} / ${closes.join_v2?.code} / ${closes.join_unknown_room?.code} / ${closes.dm_leave?.code}; scenario ${Math.round(timings.total_ms)} ms`,
      ]
        .map((line) => `      ${line}`)
        .join('\n'),
    );
    expect(report.failures, JSON.stringify(report.failures)).to.deep.equal([]);
    expect(report.ran_to_end).to.equal(true);
  });

  it('seats the DM (role dm, room rate) and the player (16 kHz) in one table room', () => {
    const { dm, player } = report;
    expect(dm.seated?.v).to.equal(1);
    expect(dm.seated?.role).to.equal('dm');
    expect(dm.seated?.roomName).to.equal('table');
    expect(dm.seated?.audio).to.deep.equal({ format: 's16le', channels: 1, rate: roomRate, frameMs: 20 });
    expect(player.seated?.role).to.equal('player');
    expect(player.seated?.roomId).to.equal(dm.seated?.roomId);
    expect(player.seated?.audio?.rate).to.equal(16000);
    expect(player.seated?.sessionId).to.not.equal(dm.seated?.sessionId);
  });

  it('shows both players, with their roles, to each client', () => {
    for (const side of [report.dm, report.player]) {
      expect(side.names_seen).to.include({ Mira: 'dm', Ana: 'player' });
    }
    expect(report.steps.dm_players_after_player_left.map((p) => p.name)).to.deep.equal(['Mira']);
  });

  it('streams audio with energy at 50 frames/s, at each client\'s rate', () => {
    for (const [side, rate] of [[report.dm, roomRate], [report.player, 16000]] as const) {
      expect(side.audio.rates).to.deep.equal([rate]);
      expect(side.audio.samples_per_frame).to.deep.equal([(rate * 20) / 1000]);
      expect(side.audio.audio_frames_checked).to.equal((rate * 20) / 1000);
      // The instant engine's tone: 0.3 × (0.8 sine + 0.2 noise), RMS ≈ 0.17 of full scale.
      expect(side.audio.rms).to.be.within(0.08, 0.3);
      expect(side.audio.voiced).to.be.greaterThan(50);
      expect(side.audio.seq_missing, 'seq gaps on loopback').to.equal(0);
      expect(side.audio.seq_out_of_order).to.equal(0);
    }
    // One frame per 20 ms of the frame clock. A stall of the server's main thread delays frames,
    // then delivers them in a burst, never changing their number; the first narration of a fresh
    // server stalls 100-450 ms just before its first voiced frame (warm-up), so a plain count from
    // that frame takes in the stall's frames (+stall / 20 ms). Counted between frames that
    // arrived on time (probe_client.gd fps_between), the rate stays within ±20 % over ≥ 1 s of
    // speaking on a loaded 2-core machine.
    for (const fps of [report.steps.speaking.dm, report.steps.speaking.player]) {
      expect(fps.steady_window_ms, JSON.stringify(fps)).to.be.at.least(1000);
      expect(fps.fps_steady, JSON.stringify(fps)).to.be.within(40, 60);
    }
  });

  it('sends captions in increasing index order with text, to both clients', () => {
    for (const side of [report.dm, report.player]) {
      const byNarration = new Map<string, Caption[]>();
      for (const c of side.captions) {
        expect(c.text.trim(), JSON.stringify(c)).to.not.equal('');
        byNarration.set(c.narrationId, [...(byNarration.get(c.narrationId) ?? []), c]);
      }
      expect(byNarration.get(report.steps.long_narration_id), 'captions of the long narration').to.not.equal(undefined);
      for (const [id, captions] of byNarration) {
        // Every chunk once, in order, from index 0; a narration played to its end is covered whole.
        expect(captions.map((c) => c.index), `caption indexes of ${id}`).to.deep.equal(captions.map((_, i) => i));
        const end = side.ends.find((e) => e.id === id);
        const text = captions.map((c) => c.text).join('');
        if (end && !end.cancelled) expect(text).to.equal(end.text);
        else if (end) expect(end.text.startsWith(text), `${JSON.stringify(text)} begins the cancelled text`).to.equal(true);
      }
    }
  });

  it('cancels: a cancelled report, a newer generation, and no old-generation frame after it', () => {
    const { cancel } = report.steps;
    expect(cancel.report?.id).to.equal(report.steps.long_narration_id);
    expect(cancel.report?.cancelled).to.equal(true);
    for (const [side, c] of [[report.dm, cancel.dm], [report.player, cancel.player]] as const) {
      expect(c.new_generations.length, 'a generation above the one before the cancel').to.be.greaterThan(0);
      expect(c.old_after_first_new).to.equal(0);
      expect(side.audio.stale_after_newer).to.equal(0);
      expect(side.jitter.frames_dropped_stale).to.equal(0);
      // What was already on the wire: the server keeps at most 500 ms unsent per client.
      if (c.last_old_voiced_after_cancel_ms !== null) expect(c.last_old_voiced_after_cancel_ms).to.be.below(1000);
    }
  });

  it('refuses a player\'s DM command, accepts a player\'s game event, and names bad requests', () => {
    const { steps } = report;
    expect(steps.player_narrate_error).to.include({ type: 'narration:narrate', code: 'not_allowed' });
    expect(steps.event_accepted?.narrationId).to.be.a('string');
    expect(steps.event_end?.id).to.equal(steps.event_accepted?.narrationId);
    expect(steps.event_end?.cancelled).to.equal(false);
    expect(steps.unknown_event_error).to.include({ type: 'narration:event', code: 'unknown_event' });
    expect(steps.bad_request_error).to.include({ type: 'narration:narrate', code: 'bad_request' });
  });

  it('pauses and resumes a narration', () => {
    const { pause } = report.steps;
    expect(pause.statuses).to.include('paused');
    const after = pause.statuses.slice(pause.statuses.indexOf('paused') + 1);
    expect(after.some((s) => s !== 'paused'), `resumed after paused: ${pause.statuses}`).to.equal(true);
    expect(pause.report?.cancelled).to.equal(false);
  });

  it('closes on bad input with the protocol\'s codes and a reason', () => {
    const { closes } = report;
    expect(closes.player_not_json?.code).to.equal(4400);
    expect(closes.join_v2?.code).to.equal(4400);
    expect(closes.join_unknown_room?.code).to.equal(4404);
    for (const c of [closes.player_not_json, closes.join_v2, closes.join_unknown_room]) expect(c?.reason).to.not.equal('');
    expect(closes.dm_leave?.code).to.equal(1000);
  });
});

function fmt(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : n.toFixed(0);
}
