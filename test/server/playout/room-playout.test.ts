import { expect } from 'chai';
import { RoomPlayout } from '../../../server/playout/room-playout.ts';
import type { PlayoutEvent } from '../../../server/playout/playout.ts';
import type { AudioFrame } from '../../../server/sinks/audio-sink.ts';

const RATE = 22050;
const FRAME = 441;

function setup(prebufferMs = 40, gaps: { gapMs?: number; interruptGapMs?: number } = {}) {
  const events: PlayoutEvent[] = [];
  const room = new RoomPlayout({ roomId: 'r', sampleRate: RATE, prebufferMs, maxBufferedMs: 5000, ...gaps }, (e) => events.push(e));
  let t = 1000;
  const frames: AudioFrame[] = [];
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const f = room.nextFrame((t += 20));
      if (f) frames.push(f);
    }
  };
  return { room, events, frames, run, now: () => t };
}

const tone = (n: number, v = 0.5) => new Float32Array(n).fill(v);
const energy = (f: AudioFrame) => f.samples.reduce((a, s) => a + Math.abs(s), 0);

describe('RoomPlayout', () => {
  it('a cancel of all spares a narration whose audio came before its declaration (it is newer than the cancel)', () => {
    const { room, events, run } = setup();
    room.beginNarration('old', 1000);
    room.push('old', 0, tone(FRAME * 10), 1000);
    room.push('new', 0, tone(FRAME * 4), 1000); // the assembly thread's port overtook the main thread's
    room.cancel(null, 1000, 1000);
    room.beginNarration('new', 1000);
    room.endNarration('new', 1000);
    run(10);
    const ends = events.filter((e): e is Extract<PlayoutEvent, { type: 'narration-end' }> => e.type === 'narration-end');
    expect(ends.map((e) => [e.narrationId, e.stats.cancelled])).to.deep.equal([['old', true], ['new', false]]);
    expect(ends[1]!.stats.audioMs).to.equal(80);
  });

  it('emits silence frames with continuous seq while idle', () => {
    const { frames, run } = setup();
    run(3);
    expect(frames.map((f) => f.seq)).to.deep.equal([0, 1, 2]);
    expect(frames.every((f) => f.narrationId === null && energy(f) === 0 && f.samples.length === FRAME)).to.equal(true);
  });

  it('plays a narration after the pre-buffer, emits chunk-start in order, then narration-end with stats', () => {
    const { room, events, frames, run } = setup(40);
    room.beginNarration('n1', 1000);
    room.push('n1', 0, tone(FRAME * 2), 1000);
    room.push('n1', 1, tone(FRAME * 2), 1000);
    room.endNarration('n1', 1000);
    run(6);
    const audible = frames.filter((f) => f.narrationId === 'n1');
    expect(audible).to.have.length(4);
    const starts = events.filter((e) => e.type === 'chunk-start').map((e) => (e as { chunkIndex: number }).chunkIndex);
    expect(starts).to.deep.equal([0, 1]);
    const end = events.find((e) => e.type === 'narration-end');
    expect(end).to.deep.include({ narrationId: 'n1' });
    const stats = (end as Extract<PlayoutEvent, { type: 'narration-end' }>).stats;
    expect(stats).to.deep.include({ audioMs: 80, underruns: 0, gapMs: 0, cancelled: false, cancelLatencyMs: null, paused: false });
    expect(stats.firstFrameAtMs).to.equal(audible[0]!.timeMs);
    expect(stats.lastFrameAtMs).to.equal(audible[3]!.timeMs);
    const statuses = events.filter((e) => e.type === 'status').map((e) => (e as { status: string }).status);
    expect(statuses).to.deep.equal(['buffering', 'speaking', 'idle']);
  });

  it('holds playback while less than the pre-buffer is queued', () => {
    const { room, frames, run } = setup(100);
    room.beginNarration('n1', 1000);
    room.push('n1', 0, tone(FRAME * 3), 1000);
    run(2);
    expect(frames.every((f) => f.narrationId === null)).to.equal(true);
    room.push('n1', 0, tone(FRAME * 3), 1000);
    run(1);
    expect(frames[2]!.narrationId).to.equal('n1');
  });

  it('counts an underrun when synthesis falls behind and reports the gap', () => {
    const { room, events, run } = setup(40);
    room.beginNarration('n1', 1000);
    room.push('n1', 0, tone(FRAME * 2), 1000);
    run(4); // 2 frames of audio, then dry
    room.push('n1', 1, tone(FRAME * 2), 1000);
    room.endNarration('n1', 1000);
    run(4);
    expect(events.filter((e) => e.type === 'underrun')).to.have.length(1);
    const stats = (events.find((e) => e.type === 'narration-end') as Extract<PlayoutEvent, { type: 'narration-end' }>).stats;
    expect(stats.underruns).to.equal(1);
    expect(stats.gapMs).to.be.at.least(20);
  });

  it('plays queued narrations in begin order', () => {
    const { room, frames, run } = setup(20);
    room.beginNarration('a', 1000);
    room.beginNarration('b', 1000);
    room.push('b', 0, tone(FRAME), 1000);
    room.endNarration('b', 1000);
    room.push('a', 0, tone(FRAME), 1000);
    room.endNarration('a', 1000);
    run(4);
    expect(frames.map((f) => f.narrationId).filter(Boolean)).to.deep.equal(['a', 'b']);
  });

  it('cancel returns an immediate fade-out frame as the last frame of the narration, bumps generation and drops its audio', () => {
    const { room, events, frames, run, now } = setup(20);
    room.beginNarration('n1', 1000);
    room.push('n1', 0, tone(FRAME * 50), 1000);
    run(3);
    const fade = room.cancel(null, now() - 5, now() + 1)!;
    expect(fade).to.not.equal(null);
    expect(fade.narrationId).to.equal('n1');
    expect(fade.seq).to.equal(3);
    expect(fade.generation).to.equal(1);
    expect(fade.samples[0]).to.be.above(0);
    expect(fade.samples[FRAME - 1]).to.equal(0);
    expect(room.bufferedMs()).to.equal(0);
    room.push('n1', 1, tone(FRAME * 5), 1000); // in flight after the cancel: ignored
    run(4);
    // The fade frame took slot 3: the next tick yields nothing, then seq goes on from 4.
    expect(frames.slice(3).map((f) => f.seq)).to.deep.equal([4, 5, 6]);
    expect(frames.slice(3).every((f) => f.narrationId === null && f.generation === 1)).to.equal(true);
    const stats = (events.find((e) => e.type === 'narration-end') as Extract<PlayoutEvent, { type: 'narration-end' }>).stats;
    expect(stats).to.deep.include({ cancelled: true, audioMs: 80, lastFrameAtMs: fade.timeMs });
    expect(stats.cancelLatencyMs).to.be.closeTo(6, 1e-9);
    expect(room.consumedSamples).to.equal(FRAME * 55);
  });

  it('cancelling one narration leaves the next one queued', () => {
    const { room, frames, run } = setup(20);
    room.beginNarration('a', 1000);
    room.beginNarration('b', 1000);
    room.push('a', 0, tone(FRAME * 10), 1000);
    room.push('b', 0, tone(FRAME * 2, 0.25), 1000);
    room.endNarration('b', 1000);
    run(2);
    room.cancel(['a'], 1000, 1000);
    run(4);
    expect(frames.map((f) => f.narrationId).filter((x) => x === 'b')).to.have.length(2);
  });

  it('pause fades out then plays silence keeping the FIFO; resume fades back in from there', () => {
    const { room, events, frames, run } = setup(20);
    room.beginNarration('n1', 1000);
    room.push('n1', 0, tone(FRAME * 10), 1000);
    room.endNarration('n1', 1000);
    run(2);
    const before = room.bufferedMs();
    room.pause(1040);
    run(3);
    expect(frames[2]!.narrationId).to.equal('n1');
    expect(frames[2]!.samples[FRAME - 1]).to.equal(0);
    expect(frames.slice(3, 5).every((f) => energy(f) === 0)).to.equal(true);
    expect(room.bufferedMs()).to.equal(before);
    room.resume(1100);
    run(1);
    expect(frames[5]!.samples[0]).to.equal(0);
    expect(frames[5]!.samples[FRAME - 1]).to.be.above(0);
    run(20);
    const stats = (events.find((e) => e.type === 'narration-end') as Extract<PlayoutEvent, { type: 'narration-end' }>).stats;
    expect(stats.paused).to.equal(true);
    expect(stats.audioMs).to.equal(11 * 20); // 10 frames of audio + the pause fade frame
    expect(events.filter((e) => e.type === 'status').map((e) => (e as { status: string }).status)).to.include.members(['paused', 'speaking']);
  });

  it('starts a queued narration gapMs after the previous one\'s last frame, and an interrupting one interruptGapMs after the fade-out', () => {
    const { room, frames, run, now } = setup(0, { gapMs: 500, interruptGapMs: 150 });
    for (const id of ['n1', 'n2']) {
      room.beginNarration(id, now());
      room.push(id, 0, tone(FRAME * 3), now());
      room.endNarration(id, now());
    }
    run(40);
    const owner = frames.map((f) => f.narrationId);
    const lastOfN1 = owner.lastIndexOf('n1');
    const firstOfN2 = owner.indexOf('n2');
    expect(lastOfN1).to.be.at.least(0);
    // 500 ms = 25 silent frames between the two narrations, in the frames the sinks get.
    expect(firstOfN2 - lastOfN1 - 1).to.equal(25);
    expect(frames.slice(lastOfN1 + 1, firstOfN2).every((f) => energy(f) === 0)).to.equal(true);
    // An interrupt: the fade-out frame, then 150 ms (8 frames, rounded up) before the next narration.
    room.beginNarration('n3', now());
    room.push('n3', 0, tone(FRAME * 50), now());
    run(30); // n2's gap, then n3 plays
    const fade = room.cancel(null, now(), now(), true)!; // as an interrupt does
    expect(fade.narrationId).to.equal('n3');
    room.beginNarration('n4', now());
    room.push('n4', 0, tone(FRAME * 3), now());
    room.endNarration('n4', now());
    frames.length = 0;
    run(20);
    expect(frames.map((f) => f.narrationId).indexOf('n4')).to.equal(8);
    // A plain cancel (the DM's Cancel) leaves the room free at once: no breath before what comes next.
    room.beginNarration('n5', now());
    room.push('n5', 0, tone(FRAME * 50), now());
    run(30);
    room.cancel(null, now(), now());
    room.beginNarration('n6', now());
    room.push('n6', 0, tone(FRAME * 3), now());
    room.endNarration('n6', now());
    frames.length = 0;
    run(5);
    expect(frames.map((f) => f.narrationId).indexOf('n6')).to.equal(0);
  });
});
