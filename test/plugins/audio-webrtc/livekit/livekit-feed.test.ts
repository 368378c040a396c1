import { expect } from 'chai';
import pino from 'pino';
import type { AudioFrame } from '../../../../server/sinks/audio-sink.ts';
import { LIVEKIT_FRAME_SAMPLES, LiveKitFeed, type CaptureTarget } from '../../../../plugins/audio-webrtc/livekit/livekit-feed.ts';

const log = pino({ level: 'silent' });

type Event = { kind: 'capture'; pcm: Int16Array } | { kind: 'clear' };

/**
 * Stands in for rtc-node's AudioSource (which needs a LiveKit server to be of use): records
 * captures and clears in order; while `hold` is on, each capture waits for `release()`.
 */
class RecordingTarget implements CaptureTarget {
  readonly events: Event[] = [];
  hold = false;
  fail = false;
  inFlight = 0;
  private waiters: Array<() => void> = [];

  async captureFrame(pcm: Int16Array): Promise<void> {
    this.inFlight++;
    this.events.push({ kind: 'capture', pcm: pcm.slice() });
    try {
      if (this.hold) await new Promise<void>((r) => this.waiters.push(r));
      if (this.fail) throw new Error('capture refused');
    } finally {
      this.inFlight--;
    }
  }

  clearQueue(): void {
    this.events.push({ kind: 'clear' });
  }

  /** Lets every waiting capture finish, and later ones run freely. */
  release(): void {
    this.hold = false;
    for (const w of this.waiters.splice(0)) w();
  }

  get captures(): Int16Array[] {
    return this.events.flatMap((e) => (e.kind === 'capture' ? [e.pcm] : []));
  }
}

function frame(seq: number, samples: Int16Array, sampleRate: number, generation = 0): AudioFrame {
  return { roomId: 'r1', seq, samples, sampleRate, narrationId: 'n1', generation, timeMs: 0 };
}

/** A 48 kHz frame whose every sample equals `marker`, so captures can be told apart. */
function marked(seq: number, marker: number, generation = 0): AudioFrame {
  return frame(seq, new Int16Array(LIVEKIT_FRAME_SAMPLES).fill(marker), 48_000, generation);
}

function tone(seq: number, rate: number, hz: number, amplitude: number): Int16Array {
  const n = Math.round(rate * 0.02);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (seq * n + i)) / rate));
  return out;
}

function rms(x: Int16Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / x.length);
}

describe('LiveKitFeed', () => {
  it('turns 22 050 Hz frames into 960-sample 48 kHz frames carrying the same tone', async () => {
    const target = new RecordingTarget();
    const feed = await LiveKitFeed.create(22_050, target, log);
    const frames = 50;
    // As the frame clock does: one frame, then time for the capture (here: its completion).
    for (let s = 0; s < frames; s++) {
      feed.push(frame(s, tone(s, 22_050, 440, 10_000), 22_050));
      await feed.flushed();
    }
    expect(feed.stats.overflowed).to.equal(0);
    const caps = target.captures;
    // 1 s in → 1 s out, less the resampler's start-up delay (a few ms).
    expect(caps.length).to.be.within(frames - 2, frames);
    for (const c of caps) expect(c.length).to.equal(LIVEKIT_FRAME_SAMPLES);
    const steady = caps.slice(5, -1);
    for (const c of steady) expect(rms(c)).to.be.within(10_000 / Math.SQRT2 * 0.9, 10_000 / Math.SQRT2 * 1.1);
    expect(feed.stats.captured).to.equal(caps.length);
    await feed.close();
  });

  it('returns from push at once and keeps one capture in flight, in order', async () => {
    const target = new RecordingTarget();
    target.hold = true;
    const feed = await LiveKitFeed.create(48_000, target, log);
    for (let s = 0; s < 10; s++) feed.push(marked(s, s + 1));
    expect(target.inFlight).to.equal(1);
    expect(feed.queuedFrames).to.equal(9);
    target.release();
    await feed.flushed();
    expect(target.captures.map((c) => c[0])).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(feed.queuedFrames).to.equal(0);
    await feed.close();
  });

  it('on a higher generation clears the source first and never captures the stale queue', async () => {
    const target = new RecordingTarget();
    target.hold = true;
    const feed = await LiveKitFeed.create(48_000, target, log);
    for (let s = 0; s < 5; s++) feed.push(marked(s, 100 + s, 0)); // 100 in flight, 101..104 queued
    feed.push(marked(5, 200, 1)); // cancel
    feed.push(marked(6, 201, 1));
    // The clear happened synchronously inside push, before any generation-1 capture.
    expect(target.events.map((e) => (e.kind === 'clear' ? 'clear' : e.pcm[0]))).to.deep.equal([100, 'clear']);
    target.release();
    await feed.flushed();
    const order = target.events.map((e) => (e.kind === 'clear' ? 'clear' : e.pcm[0]));
    // The in-flight stale frame reached the source after the first clear, so it is cleared again.
    expect(order).to.deep.equal([100, 'clear', 'clear', 200, 201]);
    expect(feed.stats.cancelled).to.equal(4);
    await feed.close();
  });

  it('does not clear on the first frame nor while the generation stays the same', async () => {
    const target = new RecordingTarget();
    const feed = await LiveKitFeed.create(48_000, target, log);
    for (let s = 0; s < 5; s++) feed.push(marked(s, 1, 7));
    await feed.flushed();
    expect(target.events.filter((e) => e.kind === 'clear')).to.have.length(0);
    expect(feed.stats.clears).to.equal(0);
    await feed.close();
  });

  it('drops a partly filled frame of the old generation on cancel', async () => {
    const target = new RecordingTarget();
    const feed = await LiveKitFeed.create(48_000, target, log);
    feed.push(frame(0, new Int16Array(500).fill(9), 48_000, 0)); // 500 of 960: held back
    feed.push(frame(1, new Int16Array(LIVEKIT_FRAME_SAMPLES).fill(5), 48_000, 1));
    await feed.flushed();
    expect(target.captures).to.have.length(1);
    expect(target.captures[0]!.every((v) => v === 5)).to.equal(true);
    await feed.close();
  });

  it('drops the oldest frames when the queue is full', async () => {
    const target = new RecordingTarget();
    target.hold = true;
    const feed = await LiveKitFeed.create(48_000, target, log, { maxQueuedFrames: 3 });
    for (let s = 0; s < 10; s++) feed.push(marked(s, s));
    expect(feed.queuedFrames).to.equal(3);
    target.release();
    await feed.flushed();
    expect(target.captures.map((c) => c[0])).to.deep.equal([0, 7, 8, 9]);
    expect(feed.stats.overflowed).to.equal(6);
    await feed.close();
  });

  it('counts a failed capture and goes on with the next frames', async () => {
    const target = new RecordingTarget();
    target.fail = true;
    const feed = await LiveKitFeed.create(48_000, target, log);
    feed.push(marked(0, 1));
    await feed.flushed();
    target.fail = false;
    feed.push(marked(1, 2));
    await feed.flushed();
    expect(feed.stats.failures).to.equal(1);
    expect(feed.stats.captured).to.equal(1);
    expect(target.captures.map((c) => c[0])).to.deep.equal([1, 2]);
    await feed.close();
  });

  it('refuses a frame at another rate, naming both rates', async () => {
    const feed = await LiveKitFeed.create(24_000, new RecordingTarget(), log);
    expect(() => feed.push(frame(3, new Int16Array(441), 22_050))).to.throw(RangeError, /22050 Hz.*24000 Hz/);
    await feed.close();
  });

  it('ignores frames after close and drops what was queued', async () => {
    const target = new RecordingTarget();
    target.hold = true;
    const feed = await LiveKitFeed.create(48_000, target, log);
    for (let s = 0; s < 4; s++) feed.push(marked(s, s));
    const closing = feed.close();
    target.release();
    await closing;
    feed.push(marked(9, 9));
    await feed.flushed();
    expect(target.captures.map((c) => c[0])).to.deep.equal([0]);
  });
});
