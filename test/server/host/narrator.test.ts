import 'reflect-metadata';
import { expect } from 'chai';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNarrator } from '../../../server/host/narrator.ts';
import { ConfigError } from '../../../server/config/config-error.ts';
import type { NarrationError } from '../../../server/narration/narration-error.ts';
import { createLogger } from '../../../server/observability/log.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/plugins', import.meta.url));

describe('createNarrator start-up checks', function () {
  this.timeout(30_000);

  it('refuses a recordings folder it cannot write, before any room fails on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrpg-rec-'));
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    let error: unknown;
    try {
      const n = await createNarrator({ engine: 'instant', pluginDirs: [FIXTURES], plugins: { 'instant-engine': {} }, sinks: ['wav'], recordingsDir: join(file, 'recordings') }, { log: createLogger('silent') });
      await n.close();
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).key).to.equal('recordingsDir');
    expect((error as Error).message).to.contain(`cannot record to ${join(file, 'recordings')}: ENOTDIR`);
  });

  it('creates the recordings folder when it is missing, and needs none without the wav sink', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vrpg-rec-')), 'a', 'b');
    const n = await createNarrator({ engine: 'instant', pluginDirs: [FIXTURES], plugins: { 'instant-engine': {} }, sinks: ['wav'], recordingsDir: dir }, { log: createLogger('silent') });
    await n.close();
    const m = await createNarrator({ engine: 'instant', pluginDirs: [FIXTURES], plugins: { 'instant-engine': {} }, sinks: ['bridge'], recordingsDir: '/proc/forbidden' }, { log: createLogger('silent') });
    await m.close();
  });
});

describe('a room\'s narration opens on its first use', function () {
  this.timeout(30_000);

  it('takes no playout slot and records nothing until it narrates; listeners, status and cancel open nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrpg-lazy-'));
    const n = await createNarrator({ engine: 'instant', pluginDirs: [FIXTURES], plugins: { 'instant-engine': {} }, sinks: ['wav'], recordingsDir: dir }, { log: createLogger('silent') });
    try {
      const room = n.roomNarration('lazy');
      const ends: string[] = [];
      room.on('end', (r) => ends.push(r.id));
      expect([room.status, room.caption, room.cancel(), room.opened]).to.deep.equal(['idle', null, [], false]);
      expect(n.roomCount).to.equal(0);
      expect(readdirSync(dir)).to.deep.equal([]);
      // The first narration opens the room at once and is queued behind the open.
      const first = room.narrate('The well is deep and cold.');
      expect(n.roomCount).to.equal(1);
      const report = await first.done;
      expect(report).to.include({ cancelled: false, error: null });
      expect(report.audioMs).to.be.greaterThan(500);
      expect(ends).to.deep.equal([first.id]);
      expect(readdirSync(dir)).to.deep.equal(['room-lazy.wav']);
      await room.close();
      expect(n.roomCount).to.equal(0);
      expect(() => room.narrate('Too late.')).to.throw(/closed/);
      // Closing one that never opened costs nothing either.
      const never = n.roomNarration('never');
      await never.close();
      expect(readdirSync(dir)).to.deep.equal(['room-lazy.wav']);
    } finally {
      await n.close();
    }
  });
});

describe('streamed narrations', function () {
  this.timeout(30_000);

  it('ends a stream that receives no text for limits.streamIdleMs, speaking what it had', async () => {
    const n = await createNarrator(
      { engine: 'instant', pluginDirs: [FIXTURES], plugins: { 'instant-engine': {} }, sinks: ['bridge'], limits: { streamIdleMs: 300 } },
      { log: createLogger('silent') },
    );
    try {
      const room = await n.openRoom('idle-stream');
      const stream = room.stream();
      stream.push('The door creaks open, and ');
      // No more deltas and no end(): the DM's tab closed. Before, the room stayed `buffering` for ever.
      const report = await stream.done;
      expect(report).to.include({ cancelled: false, text: 'The door creaks open, and ' });
      expect(report.audioMs).to.be.greaterThan(0);
      // The status follows the end as a playout event: wait for it (20 ms steps, 2 s at most).
      for (let i = 0; i < 100 && room.status !== 'idle'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(room.status).to.equal('idle');
      expect(() => stream.push('more')).to.throw(/the stream has ended/);
      await room.close();
    } finally {
      await n.close();
    }
  });
});

describe('engine faults in the report', function () {
  this.timeout(30_000);

  it('reports a narration with failed chunks as failed, never as a plain success, and the room carries on', async () => {
    const n = await createNarrator(
      { engine: 'instant', pluginDirs: [FIXTURES], plugins: { 'instant-engine': { charsPerSecond: 60, failOn: 'XYZZY' } }, sinks: ['bridge'] },
      { log: createLogger('silent') },
    );
    try {
      const room = await n.openRoom('faults');
      // Only the failing chunk is lost: the rest is spoken, and the report says what went wrong.
      const partly = await room.narrate(
        'The gate opens onto a long and silent courtyard, full of leaves that nobody has swept for years. ' +
        'A fountain stands dry in the middle, its basin cracked from side to side. ' +
        'XYZZY, says the statue by the well, and nothing happens at all. ' +
        'Somewhere a crow calls twice, and then the wind is all you hear.',
      ).done;
      expect(partly.chunks).to.be.greaterThan(1);
      expect(partly.audioMs).to.be.greaterThan(0);
      expect(partly.error).to.match(/^1 of \d+ chunk\(s\) failed to synthesize: chunk \d+: instant engine: chunk \d+ asked to fail$/);
      const nothing = await room.narrate('XYZZY.').done;
      expect(nothing).to.include({ cancelled: false, audioMs: 0 });
      expect(nothing.error).to.match(/^1 of 1 chunk\(s\) failed to synthesize/);
      const fine = await room.narrate('All is well.').done;
      expect(fine.error).to.equal(null);
      expect(fine.audioMs).to.be.greaterThan(0);
      const metrics = await n.metrics.registry.getSingleMetricAsString('vrpg_narrations_total');
      expect(metrics).to.contain('outcome="failed"} 2').and.to.contain('outcome="played"} 1');
      await room.close();
    } finally {
      await n.close();
    }
  });
});

describe('the narration queue', function () {
  this.timeout(30_000);

  it('keeps the last quarter of limits.maxQueuedNarrations for the DM: players\' events cannot starve the DM', async () => {
    const n = await createNarrator(
      { engine: 'instant', pluginDirs: [FIXTURES], plugins: { 'instant-engine': { charsPerSecond: 5 } }, sinks: ['bridge'], limits: { maxQueuedNarrations: 8 } },
      { log: createLogger('silent') },
    );
    try {
      const room = await n.openRoom('queue');
      let accepted = 0;
      let refusal: NarrationError | null = null;
      for (let i = 0; i < 12 && !refusal; i++) {
        try {
          room.event('dice_roll', { name: 'Ana', dice: '1d6', result: 3 }, { as: 'player' });
          accepted++;
        } catch (err) {
          refusal = err as NarrationError;
        }
      }
      expect(accepted).to.equal(6); // 8 − the DM's 2
      expect(refusal).to.include({ code: 'queue_full' });
      expect(refusal!.message).to.contain('the last 2 places are the DM\'s');
      // The DM still gets in (twice), and an event sent as DM too.
      room.narrate('Silence, all of you.');
      room.event('dice_roll', { name: 'Mira', dice: '1d6', result: 6 });
      room.cancel();
      await room.close();
    } finally {
      await n.close();
    }
  });
});
