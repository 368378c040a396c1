import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as wavefileNs from 'wavefile';
import { readReferences, validateReferenceWav } from '../../../plugins/tts-xtts/reference-wav.ts';
import { toneWav, writeToneWav } from '../../fixtures/xtts/tone-wav.ts';

const { WaveFile } = ('WaveFile' in wavefileNs ? wavefileNs : (wavefileNs as unknown as { default: typeof wavefileNs }).default) as typeof wavefileNs;

describe('reference WAV validation', () => {
  it('accepts 16-bit and float PCM of 3–30 s and reports its format', () => {
    const ref = validateReferenceWav('a.wav', toneWav(4, { sampleRate: 16_000, channels: 2 }));
    expect(ref).to.include({ sampleRate: 16_000, channels: 2, bitsPerSample: 16, audioFormat: 1 });
    expect(ref.durationSeconds).to.be.closeTo(4, 1e-6);
    expect(validateReferenceWav('f.wav', toneWav(3, { bitDepth: '32f' })).audioFormat).to.equal(3);
  });

  it('refuses too short and too long references, naming the file and the length', () => {
    expect(() => validateReferenceWav('short.wav', toneWav(2.5))).to.throw(/short\.wav is 2\.50 s long; XTTS needs 3–30 s/);
    expect(() => validateReferenceWav('long.wav', toneWav(31, { sampleRate: 8000 }))).to.throw(/long\.wav is 31\.00 s long; at most 30 s/);
  });

  it('refuses a file that is not WAV, and compressed WAV, naming the file', () => {
    expect(() => validateReferenceWav('x.mp3', new TextEncoder().encode('ID3 not a wave'))).to.throw(/x\.mp3 is not a readable WAV file/);
    const mulaw = new WaveFile();
    mulaw.fromScratch(1, 8000, '16', new Int16Array(8000 * 4).fill(1000));
    mulaw.toMuLaw();
    expect(() => validateReferenceWav('m.wav', mulaw.toBuffer())).to.throw(/m\.wav is not PCM \(WAV format tag 7\)/);
  });

  describe('reading references for upload', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'xtts-ref-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('uploads a single file unchanged and joins several into one WAV of their summed length', async () => {
      const a = writeToneWav(dir, 'a.wav', 3);
      const b = writeToneWav(dir, 'b.wav', 4);
      const one = await readReferences([a]);
      expect(Buffer.from(one.wav).equals(Buffer.from(toneWav(3)))).to.equal(true);
      const both = await readReferences([a, b]);
      expect(validateReferenceWav('joined', both.wav).durationSeconds).to.be.closeTo(7, 1e-6);
      expect(both.contentHash).to.match(/^[0-9a-f]{64}$/).and.not.equal(one.contentHash);
    });

    it('refuses references of different formats and unreadable files, naming them', async () => {
      const a = writeToneWav(dir, 'a.wav', 3);
      const b = writeToneWav(dir, 'b.wav', 3, { sampleRate: 16_000 });
      const mixed = await readReferences([a, b]).then(() => undefined, (e: Error) => e);
      expect(mixed?.message).to.contain('b.wav is 1 ch 16 bit at 16000 Hz but').and.to.contain('a.wav');
      const missing = await readReferences([join(dir, 'nope.wav')]).then(() => undefined, (e: Error) => e);
      expect(missing?.message).to.contain('nope.wav cannot be read');
    });
  });
});
