import { expect } from 'chai';
import sinon from 'sinon';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { AudioFrame } from '../../../server/sinks/audio-sink.ts';
import { PortAudioSink, type PortAudioSinkSettings } from '../../../plugins/audio-native/port-audio-sink.ts';
import { CAPTURE_CONFIG, runPlayer } from '../../fixtures/alsa/run-player.ts';
import { expectedRampBytes, STALE_SAMPLE } from '../../fixtures/alsa/ramp.ts';

const RATE = 22_050;
const FRAME_SAMPLES = 441;

/**
 * A real Node Writable with the naudiodon output-stream behaviour that matters here:
 * while held, writes do not complete (so backpressure is deterministic, which a device
 * consuming in real time is not); 'finished' follows 'finish' as naudiodon emits it
 * after quitting PortAudio. The real stream is exercised in the ALSA tests below.
 */
class HeldStream extends Writable {
  readonly written: Buffer[] = [];
  private pending: Array<() => void> = [];
  private held = true;
  constructor(highWaterMark: number, private readonly finishes = true) {
    super({ highWaterMark, decodeStrings: false });
    this.on('finish', () => {
      if (this.finishes) setImmediate(() => this.emit('finished'));
    });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error) => void): void {
    this.written.push(Buffer.from(chunk));
    if (this.held) this.pending.push(done);
    else setImmediate(done);
  }
  /** Completes the held write and lets every later write complete at once. */
  release(): void {
    this.held = false;
    for (const done of this.pending.splice(0)) done();
  }
}

/** Lets stream callbacks, 'drain' and sink flushes run. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

function frame(seq: number, generation = 1, fill?: number): AudioFrame {
  const samples = new Int16Array(FRAME_SAMPLES).fill(fill ?? seq + 1);
  return { roomId: 'r', seq, samples, sampleRate: RATE, narrationId: 'n', generation, timeMs: 0 };
}

function settings(overrides: Partial<PortAudioSinkSettings> = {}) {
  const logs: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  return { logs, settings: { sampleRate: RATE, maxQueuedFrames: 3, closeTimeoutMs: 5000, log, ...overrides } };
}

/** First sample value of each written chunk: identifies which frame it was. */
const firstSamples = (stream: HeldStream) => stream.written.map((b) => b.readInt16LE(0));

describe('PortAudioSink', () => {
  describe('frame handling (Writable stand-in for deterministic backpressure)', () => {
    it('writes each frame as its s16le bytes, in order', async () => {
      const stream = new HeldStream(1 << 20);
      const sink = new PortAudioSink(stream, settings().settings);
      const f0 = frame(0);
      sink.write(f0);
      sink.write(frame(1));
      stream.release();
      await settle();
      expect(stream.written).to.have.length(2);
      expect(stream.written[0]!.equals(Buffer.from(f0.samples.buffer))).to.equal(true);
      expect(firstSamples(stream)).to.deep.equal([1, 2]);
      expect(sink.stats.writtenFrames).to.equal(2);
    });

    it('drops a frame whose generation is below the highest seen', async () => {
      const stream = new HeldStream(1 << 20);
      const sink = new PortAudioSink(stream, settings().settings);
      sink.write(frame(0, 2));
      sink.write(frame(1, 1));
      sink.write(frame(2, 2));
      sink.write(frame(3, 3));
      stream.release();
      await settle();
      expect(firstSamples(stream)).to.deep.equal([1, 3, 4]);
      expect(sink.stats.staleFrames).to.equal(1);
    });

    it('queues frames while the stream is backpressured and writes them in order after drain', async () => {
      const stream = new HeldStream(2 * FRAME_SAMPLES * 2);
      const sink = new PortAudioSink(stream, settings().settings);
      sink.write(frame(0)); // in flight, held
      sink.write(frame(1)); // buffered by the stream: its length reaches the high-water mark
      sink.write(frame(2)); // kept by the sink until 'drain'
      sink.write(frame(3));
      expect(sink.stats.writtenFrames).to.equal(2);
      stream.release();
      await settle();
      expect(firstSamples(stream)).to.deep.equal([1, 2, 3, 4]);
      expect(sink.stats).to.include({ writtenFrames: 4, overflowFrames: 0 });
    });

    it('drops the oldest queued frames beyond maxQueuedFrames, counts them and warns once per overflow', async () => {
      const stream = new HeldStream(FRAME_SAMPLES * 2);
      const { logs, settings: s } = settings({ maxQueuedFrames: 2 });
      const sink = new PortAudioSink(stream, s);
      sink.write(frame(0)); // reaches the mark at once → backpressure
      for (let seq = 1; seq <= 5; seq++) sink.write(frame(seq)); // queue keeps the newest 2: seq 4, 5
      expect(sink.stats.overflowFrames).to.equal(3);
      const warnings = () => logs.filter((l) => l.level === 40);
      expect(warnings()).to.have.length(1);
      expect(warnings()[0]).to.include({ roomId: 'r', maxQueuedFrames: 2 });
      stream.release();
      await settle();
      expect(firstSamples(stream)).to.deep.equal([1, 5, 6]);
      expect(warnings()).to.have.length(2);
      expect(warnings()[1]).to.include({ droppedFrames: 3, totalDroppedFrames: 3 });
    });

    it('drops queued frames of an older generation when a newer generation arrives', async () => {
      const stream = new HeldStream(FRAME_SAMPLES * 2);
      const sink = new PortAudioSink(stream, settings({ maxQueuedFrames: 5 }).settings);
      sink.write(frame(0, 1));
      sink.write(frame(1, 1)); // queued
      sink.write(frame(2, 1)); // queued
      sink.write(frame(3, 2)); // cancel: the two queued gen-1 frames are stale now
      expect(sink.stats.staleFrames).to.equal(2);
      stream.release();
      await sink.close();
      expect(firstSamples(stream)).to.deep.equal([1, 4]);
    });

    it('drops frames at another sample rate, warning once', () => {
      const stream = new HeldStream(1 << 20);
      const { logs, settings: s } = settings();
      const sink = new PortAudioSink(stream, s);
      sink.write({ ...frame(0), sampleRate: 24_000 });
      sink.write({ ...frame(1), sampleRate: 24_000 });
      expect(stream.written).to.have.length(0);
      expect(sink.stats.rateMismatchFrames).to.equal(2);
      expect(logs.filter((l) => l.level === 40)).to.have.length(1);
    });

    it('close writes the queued frames, ends the stream and resolves on finished; later writes are ignored', async () => {
      const stream = new HeldStream(FRAME_SAMPLES * 2);
      const sink = new PortAudioSink(stream, settings().settings);
      sink.write(frame(0));
      sink.write(frame(1)); // queued
      const closed = sink.close();
      expect(sink.close()).to.equal(closed);
      sink.write(frame(2));
      stream.release();
      await closed;
      expect(stream.writableFinished).to.equal(true);
      expect(firstSamples(stream)).to.deep.equal([1, 2]);
    });

    it('close resolves with a warning after closeTimeoutMs when the stream never finishes', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        const stream = new HeldStream(1 << 20, false);
        const { logs, settings: s } = settings({ closeTimeoutMs: 1000 });
        const sink = new PortAudioSink(stream, s);
        let resolved = false;
        const closed = sink.close().then(() => (resolved = true));
        await clock.tickAsync(999);
        expect(resolved).to.equal(false);
        await clock.tickAsync(1);
        await closed;
        expect(resolved).to.equal(true);
        expect(logs.some((l) => l.level === 40 && l.closeTimeoutMs === 1000)).to.equal(true);
      } finally {
        clock.restore();
      }
    });
  });

  describe('through real PortAudio, captured by an ALSA file PCM', function () {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'vrpg-alsa-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    /** Asserts the capture is silence, then `expected` exactly, then silence. */
    function expectPlayedExactly(captureFile: string, expected: Buffer): void {
      const captured = readFileSync(captureFile);
      const at = captured.indexOf(expected);
      expect(at, 'played region found whole and in order').to.be.at.least(0);
      expect(at % 2, 'played region on a sample boundary').to.equal(0);
      const before = captured.subarray(0, at);
      const after = captured.subarray(at + expected.length);
      expect(before.every((b) => b === 0), 'only silence before the played region').to.equal(true);
      expect(after.every((b) => b === 0), 'only silence after the played region').to.equal(true);
    }

    it('plays the frames byte-exactly, whole and in order, then closes and lets the process exit', async () => {
      const captureFile = join(dir, 'capture.raw');
      const frameCount = 30;
      const { result, exitCode } = await runPlayer(
        { sampleRate: RATE, frameCount, options: { device: 'vrpg_capture', framesPerBuffer: 512 } },
        { alsaConfig: CAPTURE_CONFIG, captureFile },
      );
      expect(result.error).to.equal(undefined);
      expect(result.sinkCreated).to.equal(true);
      expect(exitCode).to.equal(0);
      expect(result.stats).to.deep.equal({ writtenFrames: frameCount, staleFrames: 0, overflowFrames: 0, rateMismatchFrames: 0 });
      expectPlayedExactly(captureFile, expectedRampBytes(frameCount, FRAME_SAMPLES));
    });

    it('does not play frames of a stale generation', async () => {
      const captureFile = join(dir, 'capture.raw');
      const staleSeqs = [3, 4, 10];
      const { result, exitCode } = await runPlayer(
        { sampleRate: RATE, frameCount: 15, staleSeqs },
        { alsaConfig: CAPTURE_CONFIG, captureFile },
      );
      expect(exitCode).to.equal(0);
      expect(result.stats).to.include({ writtenFrames: 12, staleFrames: 3 });
      expectPlayedExactly(captureFile, expectedRampBytes(15, FRAME_SAMPLES, staleSeqs));
      const stale = Buffer.alloc(2);
      stale.writeInt16LE(STALE_SAMPLE);
      expect(readFileSync(captureFile).indexOf(stale)).to.equal(-1);
    });

    it('plays from a worker thread started by spawnWorker', async () => {
      const captureFile = join(dir, 'capture.raw');
      const { result, exitCode } = await runPlayer(
        { sampleRate: 24_000, frameCount: 12, inWorker: true },
        { alsaConfig: CAPTURE_CONFIG, captureFile },
      );
      expect(result.error).to.equal(undefined);
      expect(result.isMainThread).to.equal(false);
      expect(result.sinkCreated).to.equal(true);
      expect(exitCode).to.equal(0);
      expectPlayedExactly(captureFile, expectedRampBytes(12, 480));
    });

    it('plays from a worker thread when the main thread has loaded naudiodon too', async () => {
      const captureFile = join(dir, 'capture.raw');
      const { result, exitCode } = await runPlayer(
        { sampleRate: RATE, frameCount: 8, inWorker: true, preloadInMain: true },
        { alsaConfig: CAPTURE_CONFIG, captureFile },
      );
      expect(result.error).to.equal(undefined);
      expect(result.isMainThread).to.equal(false);
      expect(exitCode).to.equal(0);
      expectPlayedExactly(captureFile, expectedRampBytes(8, FRAME_SAMPLES));
    });
  });
});
