import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import * as wavefileNs from 'wavefile';
import { WavRecorderSinkFactory } from '../../../server/sinks/wav-recorder-sink.ts';
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
});
