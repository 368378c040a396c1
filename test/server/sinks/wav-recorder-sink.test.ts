import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import * as wavefileNs from 'wavefile';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CRASH_LOSS_MS, WavRecorderSinkFactory } from '../../../server/sinks/wav-recorder-sink.ts';
import type { AudioFrame } from '../../../server/sinks/audio-sink.ts';

const { WaveFile } = 'WaveFile' in wavefileNs ? wavefileNs : (wavefileNs as unknown as { default: typeof wavefileNs }).default;
const log = pino({ level: 'silent' });

const frame = (seq: number, rate = 22050): AudioFrame => ({
  roomId: 'r', seq, sampleRate: rate, narrationId: seq % 3 ? 'n' : null, generation: 0, timeMs: seq * 20,
  samples: Int16Array.from({ length: 441 }, (_, i) => (seq % 3 ? ((seq * 441 + i) % 2000) - 1000 : 0)),
});

describe('WavRecorderSink', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wav-sink-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes a valid WAV whose samples equal the frames written, silence included', async () => {
    const path = join(dir, 'sub', 'room.wav');
    const sink = (await new WavRecorderSinkFactory(log).create({ roomId: 'r', sampleRate: 22050, frameSamples: 441, wavPath: path, log }))!;
    const frames = Array.from({ length: 60 }, (_, i) => frame(i));
    for (const f of frames) sink.write(f);
    await sink.close();
    const wav = new WaveFile(await readFile(path));
    const fmt = wav.fmt as { sampleRate: number; numChannels: number; bitsPerSample: number };
    expect(fmt).to.deep.include({ sampleRate: 22050, numChannels: 1, bitsPerSample: 16 });
    const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array;
    expect(samples.length).to.equal(60 * 441);
    const expected = new Int16Array(60 * 441);
    frames.forEach((f, i) => expected.set(f.samples, i * 441));
    expect(Buffer.from(samples.buffer).equals(Buffer.from(expected.buffer))).to.equal(true);
  });

  it('writes an empty but valid WAV when closed without frames', async () => {
    const path = join(dir, 'empty.wav');
    const sink = (await new WavRecorderSinkFactory(log).create({ roomId: 'r', sampleRate: 24000, frameSamples: 480, wavPath: path, log }))!;
    await sink.close();
    const wav = new WaveFile(await readFile(path));
    expect((wav.getSamples(false, Int16Array) as unknown as Int16Array).length).to.equal(0);
  });

  it('refuses to create without a wavPath, naming the option', async () => {
    const err = await new WavRecorderSinkFactory(log).create({ roomId: 'r', sampleRate: 22050, frameSamples: 441, log }).catch((e: Error) => e);
    expect((err as Error).message).to.match(/wavPath/);
  });

  it('rejects a frame at another rate', async () => {
    const sink = (await new WavRecorderSinkFactory(log).create({ roomId: 'r', sampleRate: 22050, frameSamples: 441, wavPath: join(dir, 'x.wav'), log }))!;
    expect(() => sink.write(frame(1, 24000))).to.throw(/24000 Hz.*22050 Hz/);
    await sink.close();
  });

  describe('a recording process that is killed (SIGKILL) leaves a valid WAV', () => {
    const RECORDER = fileURLToPath(new URL('../../fixtures/wav/record-until-killed.ts', import.meta.url));

    /** Runs the recorder until `killWhen` says so, then SIGKILLs it; resolves with its stdout lines. */
    function recordThenKill(path: string, mode: string, killWhen: (lines: string[]) => boolean): Promise<string[]> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', RECORDER, path, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
        const lines: string[] = [];
        let seen = '';
        child.stdout.on('data', (d: Buffer) => {
          seen += d.toString();
          const parts = seen.split('\n');
          seen = parts.pop()!;
          lines.push(...parts);
          if (killWhen(lines) && child.exitCode === null && !child.killed) child.kill('SIGKILL');
        });
        child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(lines) : reject(new Error(`recorder exited ${code ?? signal} before the kill`))));
      });
    }

    it('with every sample it had written out: the header claims exactly what is on disk', async function () {
      this.timeout(30_000);
      const path = join(dir, 'killed.wav');
      await recordThenKill(path, 'batch', (lines) => lines.includes('ready'));
      const bytes = await readFile(path);
      expect(bytes.readUInt32LE(40), 'data size in the header').to.equal(100 * 882);
      expect(bytes.readUInt32LE(4)).to.equal(bytes.length - 8);
      const samples = new WaveFile(bytes).getSamples(false, Int16Array) as unknown as Int16Array;
      expect(samples.length).to.equal(100 * 441);
      expect(Math.max(...samples.slice(0, 441))).to.be.greaterThan(7000);
    });

    it(`killed while recording live: readable, losing at most ${CRASH_LOSS_MS} ms`, async function () {
      this.timeout(30_000);
      const path = join(dir, 'live.wav');
      // Kill 1.5–2 s in: several write batches have landed, one may be in flight.
      const lines = await recordThenKill(path, 'live', (l) => l.length >= 75 + (Date.now() % 25));
      const written = Number(lines[lines.length - 1]);
      const bytes = await readFile(path);
      const claimed = bytes.readUInt32LE(40);
      expect(claimed % 882, 'whole frames').to.equal(0);
      expect(44 + claimed, 'the header never claims more than the file holds').to.be.at.most(bytes.length);
      expect(claimed / 882, 'frames the header claims').to.be.at.least(written - CRASH_LOSS_MS / 20);
      const samples = new WaveFile(bytes).getSamples(false, Int16Array) as unknown as Int16Array;
      expect(samples.length).to.equal(claimed / 2);
    });
  });
});
