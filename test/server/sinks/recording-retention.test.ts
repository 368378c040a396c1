import 'reflect-metadata';
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pruneRecordings } from '../../../server/sinks/recording-retention.ts';
import { createNarrator } from '../../../server/host/narrator.ts';
import { createLogger } from '../../../server/observability/log.ts';
import { instantConfig } from '../../fixtures/instant-config.ts';

const HOUR = 3_600_000;
const NOW = Date.parse('2025-06-01T12:00:00Z');

/** Writes `bytes` bytes at `path`, last modified `ageH` hours before {@link NOW}. */
function file(dir: string, name: string, bytes: number, ageH: number): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.alloc(bytes));
  const t = (NOW - ageH * HOUR) / 1000;
  utimesSync(path, t, t);
  return path;
}

describe('pruneRecordings', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'vrpg-retention-'))));

  it('deletes recordings older than maxAgeMs and leaves every other file alone', async () => {
    const old = file(dir, 'room-old.wav', 100, 200);
    file(dir, 'room-new.wav', 100, 1);
    file(dir, 'notes.txt', 100, 500);
    file(dir, 'room-old.wav.bak', 100, 500);
    file(dir, 'my-take.wav', 100, 500);
    mkdirSync(join(dir, 'room-folder.wav'));
    symlinkSync(old, join(dir, 'room-link.wav'));
    utimesSync(join(dir, 'room-folder.wav'), (NOW - 500 * HOUR) / 1000, (NOW - 500 * HOUR) / 1000);
    const { removed } = await pruneRecordings(dir, { maxAgeMs: 168 * HOUR, maxTotalBytes: 0 }, new Set(), NOW);
    expect(removed).to.deep.equal([old]);
    expect(readdirSync(dir).sort()).to.deep.equal(['my-take.wav', 'notes.txt', 'room-folder.wav', 'room-link.wav', 'room-new.wav', 'room-old.wav.bak']);
  });

  it('deletes the oldest recordings until the rest fit in maxTotalBytes', async () => {
    const a = file(dir, 'room-a.wav', 400, 30);
    const b = file(dir, 'room-b.wav', 400, 20);
    file(dir, 'room-c.wav', 400, 10);
    file(dir, 'room-d.wav', 400, 5);
    const { removed, keptBytes } = await pruneRecordings(dir, { maxAgeMs: 0, maxTotalBytes: 1000 }, new Set(), NOW);
    expect(removed).to.deep.equal([a, b]);
    expect(keptBytes).to.equal(800);
    expect(readdirSync(dir).sort()).to.deep.equal(['room-c.wav', 'room-d.wav']);
  });

  it('never deletes a recording being written, though it counts toward the total', async () => {
    const writing = file(dir, 'room-live.wav', 5000, 400); // a long session: old and big, and still open
    const done = file(dir, 'room-done.wav', 100, 2);
    const { removed, keptBytes } = await pruneRecordings(dir, { maxAgeMs: 168 * HOUR, maxTotalBytes: 1000 }, new Set([writing]), NOW);
    expect(removed).to.deep.equal([done]);
    expect(keptBytes).to.equal(5000);
    expect(existsSync(writing)).to.equal(true);
  });

  it('keeps everything at 0 and 0, and answers an absent folder with nothing to do', async () => {
    file(dir, 'room-a.wav', 100, 10_000);
    expect((await pruneRecordings(dir, { maxAgeMs: 0, maxTotalBytes: 0 }, new Set(), NOW)).removed).to.deep.equal([]);
    expect(await pruneRecordings(join(dir, 'nowhere'), { maxAgeMs: HOUR, maxTotalBytes: 1 }, new Set(), NOW)).to.deep.equal({ removed: [], keptBytes: 0 });
  });
});

describe('recordings retention of the narrator (instant engine, wav sink)', function () {
  this.timeout(30_000);

  it('prunes at start by age, and by total size when a room\'s recording closes, never an open room\'s', async () => {
    const config = instantConfig({ 'recordingsRetention.maxAgeHours': 24, 'recordingsRetention.maxTotalMB': 0.1 });
    const dir = config.recordingsDir;
    const stale = join(dir, 'room-last-month.wav');
    writeFileSync(stale, Buffer.alloc(1000));
    utimesSync(stale, (Date.now() - 30 * 24 * HOUR) / 1000, (Date.now() - 30 * 24 * HOUR) / 1000);
    const narrator = await createNarrator(config, { log: createLogger('silent') });
    try {
      expect(existsSync(stale), 'pruned at start').to.equal(false);
      // 0.1 MB is 2.4 s of 22 050 Hz 16-bit audio: two rooms of a few seconds each are over it.
      const live = await narrator.openRoom('live');
      const closing = await narrator.openRoom('closing');
      const texts = 'The rain keeps falling on the old tower, and the bell rings twice.';
      await Promise.all([live.narrate(texts).done, closing.narrate(texts).done]);
      await closing.close();
      const closedWav = join(dir, 'room-closing.wav');
      const until = Date.now() + 5000;
      while (existsSync(closedWav) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(existsSync(closedWav), 'the closed recording pruned to fit maxTotalMB').to.equal(false);
      expect(existsSync(join(dir, 'room-live.wav')), 'the open room\'s recording kept').to.equal(true);
    } finally {
      await narrator.close();
    }
  });
});
