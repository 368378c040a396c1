import 'reflect-metadata';
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import * as wavefileNs from 'wavefile';
import Pitchfinder from 'pitchfinder';
import { createNarrator, type Narrator } from '../../../server/host/narrator.ts';
import { EspeakEngine } from '../../../plugins/tts-espeak/espeak-engine.ts';
import { espeakOptionsSchema } from '../../../plugins/tts-espeak/options.ts';
import { VoiceProfiles, longestSilence } from '../../../server/synthesis/voice-profiles.ts';
import { SemanticChunker } from '../../../server/text/semantic-chunker.ts';
import { continuationOf } from '../../../server/text/continuation.ts';
import { concatF32, firstAudible, lastAudible } from '../../../server/audio/pcm.ts';
import type { TextChunk } from '../../../server/text/chunker-options.ts';

// wavefile is a UMD bundle: its namespace shape differs between tsx's ESM and CJS paths.
const { WaveFile } = ('WaveFile' in wavefileNs ? wavefileNs : (wavefileNs as unknown as { default: typeof wavefileNs }).default);

/** espeak-ng's raw output is silence under −46 dBFS (voice-profiles.ts: 25 dB under its −21 LUFS). */
const RAW_SILENCE = 10 ** (-46 / 20);

function readWav(path: string): { sampleRate: number; samples: Float32Array } {
  const wav = new WaveFile(readFileSync(path));
  const s16 = wav.getSamples(false, Int16Array) as unknown as Int16Array;
  return { sampleRate: (wav.fmt as { sampleRate: number }).sampleRate, samples: Float32Array.from(s16, (v) => v / 32768) };
}

/** Median F0 (YIN, 40 ms windows every 10 ms) over the 150 ms of audio before `end`, Hz. */
function f0Before(x: Float32Array, end: number, rate: number): number {
  const yin = Pitchfinder.YIN({ sampleRate: rate });
  const win = Math.round(rate * 0.04);
  const found: number[] = [];
  for (let t = end - Math.round(rate * 0.15); t + win <= end; t += Math.round(rate * 0.01)) {
    const f = yin(x.subarray(t, t + win));
    if (f && f > 50 && f < 400) found.push(f);
  }
  expect(found.length, 'voiced windows before the seam').to.be.greaterThan(2);
  found.sort((a, b) => a - b);
  return found[Math.floor(found.length / 2)]!;
}

/**
 * The real espeak-ng engine through the whole pipeline (createNarrator → scheduler → shaper →
 * playout thread → the `wav` recorder), compared with the same engine reading the text in one call.
 */
describe('chunk seams with the real espeak-ng engine (issue 12)', function () {
  this.timeout(120_000);
  let engine: EspeakEngine;
  let narrator: Narrator;
  const dir = mkdtempSync(join(tmpdir(), 'vrpg-seams-'));

  before(async () => {
    engine = new EspeakEngine(espeakOptionsSchema.parse({ workers: 1 }), pino({ level: 'silent' }));
    await engine.init();
    narrator = await createNarrator({ sinks: ['wav'], recordingsDir: dir, plugins: { 'tts-espeak': { workers: 1 } }, log: { level: 'silent' } });
  });
  after(async () => {
    await narrator?.close();
    await engine?.close();
  });

  async function synth(text: string, continuation?: string): Promise<Float32Array> {
    const parts: Float32Array[] = [];
    for await (const b of engine.synthesize({ narrationId: 't', index: 0, text, language: 'en', continuation }, undefined, new AbortController().signal)) parts.push(b);
    return concatF32(parts);
  }

  /** Narrates `text` in a fresh room; returns the recording, the narration's gain and its chunks. */
  async function narrate(text: string, label: string): Promise<{ samples: Float32Array; rate: number; gain: number; chunks: TextChunk[] }> {
    const room = await narrator.openRoom(`seams-${label}`);
    const report = await room.narrate(text, { trigger: 'test' }).done;
    await room.close();
    expect(report.error).to.equal(null);
    const wav = readWav(join(dir, `room-seams-${label}.wav`));
    const chunks = new SemanticChunker({ language: 'en', maxChars: engine.maxChars('en'), charsPerSecond: engine.charsPerSecond('en') }).chunk(text);
    expect(chunks.length, 'chunks as the narrator cut them').to.equal(report.chunks);
    return { samples: wav.samples, rate: wav.sampleRate, gain: 10 ** (report.gainDb / 20), chunks };
  }

  /**
   * The pause and F0 at the seam after chunk 0, in the pipeline's recording and in the one-call
   * reading. Chunk 0's audible length (from the engine reading it as the pipeline does) places the
   * seam in both; the longest silence run near it is the pause.
   */
  async function seamAfterFirstChunk(text: string, label: string) {
    const pipe = await narrate(text, label);
    const [c0, c1] = pipe.chunks;
    const alone = await synth(c0!.spoken, continuationOf(c0!, c1));
    const audibleLength = lastAudible(alone, RAW_SILENCE) + 1 - firstAudible(alone, RAW_SILENCE);
    const oneCall = await synth(pipe.chunks.map((c) => c.spoken).join(' '));
    const rate = pipe.rate;
    const radius = Math.round(rate * 0.06);
    const measure = (x: Float32Array, t: number) => {
      const seam = firstAudible(x, t) + audibleLength;
      const run = longestSilence(x, t, seam, radius, rate);
      expect(run, `a silence near the seam (${label})`).to.not.equal(null);
      return { pauseMs: (run!.length * 1000) / rate, f0: () => f0Before(x, run!.start, rate) };
    };
    return { boundary: c0!.boundary, pipeline: measure(pipe.samples, RAW_SILENCE * pipe.gain), oneCall: measure(oneCall, RAW_SILENCE) };
  }

  it('calibrates each voice\'s pauses from its own one-call reading (not a hard-coded 300 ms)', async () => {
    const profiles = new VoiceProfiles(engine, 'en', -16, -1, pino({ level: 'silent' }));
    const us = await profiles.calibrate('en-us');
    const rp = await profiles.calibrate('en-gb-x-rp');
    for (const p of [us, rp]) {
      expect(p.measured).to.equal(true);
      expect(p.pausesMs.period, 'pause after a full stop').to.be.within(200, 600);
      // espeak-ng pauses longer after "!" than after ".", and after ";" than after ",".
      expect(p.pausesMs.exclamation).to.be.greaterThan(p.pausesMs.period);
      expect(p.pausesMs.period).to.be.greaterThan(p.pausesMs.semicolon);
      expect(p.pausesMs.semicolon).to.be.greaterThan(p.pausesMs.comma);
      expect(p.loudnessLufs, 'espeak-ng speaks at about −21 LUFS').to.be.within(-26, -16);
    }
    // The gain brings the measured loudness to the target.
    expect(20 * Math.log10(profiles.gain('en-us'))).to.be.closeTo(-16 - us.loudnessLufs! + us.limiterLossDb, 0.01);
  });

  it('a sentence seam carries the pause of the one-call reading within ±25 % (the chunks used to be butted: 7–56 ms)', async () => {
    const seam = await seamAfterFirstChunk('The heavy iron gate stands open at last. The hall beyond is dark, and the old torches are cold.', 'sentence');
    expect(seam.boundary).to.equal('sentence');
    expect(seam.oneCall.pauseMs, 'espeak pauses after a sentence in one call').to.be.greaterThan(200);
    expect(seam.pipeline.pauseMs).to.be.closeTo(seam.oneCall.pauseMs, Math.max(40, seam.oneCall.pauseMs * 0.25));
    console.log(`      sentence seam: pipeline ${seam.pipeline.pauseMs.toFixed(0)} ms, one call ${seam.oneCall.pauseMs.toFixed(0)} ms`);
  });

  it('a seam cut before a conjunction keeps the one-call pause and does not fall like a sentence end (F0 within 1 semitone)', async () => {
    const seam = await seamAfterFirstChunk(
      'The old man opened the heavy door and walked slowly into the cold rain without a single word to anyone in the silent village.',
      'conjunction',
    );
    expect(seam.boundary).to.equal('conjunction');
    expect(seam.pipeline.pauseMs).to.be.closeTo(seam.oneCall.pauseMs, Math.max(40, seam.oneCall.pauseMs * 0.25));
    const semitones = 12 * Math.log2(seam.pipeline.f0() / seam.oneCall.f0());
    // Read alone, the chunk ends 2.3–3.3 semitones low (a final fall).
    expect(Math.abs(semitones), `F0 step ${semitones.toFixed(2)} st`).to.be.at.most(1);
    console.log(`      conjunction seam: pipeline ${seam.pipeline.pauseMs.toFixed(0)} ms, one call ${seam.oneCall.pauseMs.toFixed(0)} ms, F0 step ${semitones.toFixed(2)} st`);
  });

  it('queued narrations are ≥ playout.gapMs apart and an interrupt starts after a breath, as silence in the recording', async () => {
    const room = await narrator.openRoom('seams-gap');
    const first = room.narrate('Roll for initiative.', { trigger: 'a' });
    const second = room.narrate('Bruno, the ghoul lunges at you.', { trigger: 'b' });
    const [r1, r2] = [await first.done, await second.done];
    await room.close();
    const wav = readWav(join(dir, 'room-seams-gap.wav'));
    const t = RAW_SILENCE * 10 ** (Math.max(r1.gainDb, r2.gainDb) / 20);
    const end1 = Math.round(((r1.audioMs + (r1.ttfaMs ?? 0)) * wav.sampleRate) / 1000); // near the first narration's end
    const run = longestSilence(wav.samples, t, end1, Math.round(wav.sampleRate * 0.5), wav.sampleRate);
    expect(run).to.not.equal(null);
    expect((run!.length * 1000) / wav.sampleRate, 'silence between the narrations, ms').to.be.at.least(480);
  });
});
