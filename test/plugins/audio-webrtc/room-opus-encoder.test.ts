import { expect } from 'chai';
import OpusScript from 'opusscript';
import { OPUS_FRAME_SAMPLES, RoomOpusEncoder } from '../../../plugins/audio-webrtc/room-opus-encoder.ts';

function tone(frame: number, frameSamples: number, rate: number, amp: number): Int16Array {
  const out = new Int16Array(frameSamples);
  for (let i = 0; i < frameSamples; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * 440 * (frame * frameSamples + i)) / rate));
  return out;
}

function rms(pcm: Buffer): number {
  const s = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
  let sum = 0;
  for (const v of s) sum += v * v;
  return Math.sqrt(sum / s.length);
}

describe('RoomOpusEncoder', () => {
  for (const rate of [16_000, 22_050, 24_000]) {
    it(`turns each 20 ms frame at ${rate} Hz into one Opus packet of 960 samples at 48 kHz, keeping the level`, async () => {
      const enc = await RoomOpusEncoder.create(rate, 32_000);
      const dec = new OpusScript(48_000, 1);
      const frameSamples = Math.round(rate / 50);
      const levels: number[] = [];
      try {
        for (let f = 0; f < 50; f++) {
          const pcm = dec.decode(enc.encode(tone(f, frameSamples, rate, 10_000)));
          expect(pcm.length / 2).to.equal(OPUS_FRAME_SAMPLES);
          levels.push(rms(pcm));
        }
      } finally {
        enc.close();
        dec.delete();
      }
      // A 10 000-peak sine has RMS 7 071; after the codec's start-up the level holds within 15 %.
      for (const l of levels.slice(10)) expect(l).to.be.within(6000, 8200);
    });
  }

  it('encodes silence as packets that decode to silence', async () => {
    const enc = await RoomOpusEncoder.create(22_050, 32_000);
    const dec = new OpusScript(48_000, 1);
    try {
      for (let f = 0; f < 10; f++) {
        const pkt = enc.encode(new Int16Array(441));
        expect(pkt.length).to.be.greaterThan(0);
        expect(rms(dec.decode(pkt))).to.be.below(1);
      }
    } finally {
      enc.close();
      dec.delete();
    }
  });

  it('encodes at a lower complexity with the level kept, and refuses a complexity libopus rejects', async () => {
    const enc = await RoomOpusEncoder.create(22_050, 32_000, 3);
    const dec = new OpusScript(48_000, 1);
    const levels: number[] = [];
    try {
      for (let f = 0; f < 30; f++) levels.push(rms(dec.decode(enc.encode(tone(f, 441, 22_050, 10_000)))));
    } finally {
      enc.close();
      dec.delete();
    }
    for (const l of levels.slice(10)) expect(l).to.be.within(6000, 8200);
    let err: unknown;
    await RoomOpusEncoder.create(22_050, 32_000, 11).catch((e: unknown) => (err = e));
    expect(String(err)).to.match(/opus: complexity 11 refused: .*Bad argument/);
  });

  it('refuses to encode after close', async () => {
    const enc = await RoomOpusEncoder.create(22_050, 32_000);
    enc.close();
    expect(() => enc.encode(new Int16Array(441))).to.throw(/after close/);
  });
});
