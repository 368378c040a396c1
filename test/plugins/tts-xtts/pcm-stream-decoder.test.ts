import { expect } from 'chai';
import { PcmStreamDecoder } from '../../../plugins/tts-xtts/pcm-stream-decoder.ts';
import { testPcm, zeroLengthWavHeader } from '../../fixtures/xtts/stand-in-server.ts';

function bytesOf(pcm: Int16Array): Uint8Array {
  return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

function decodeInPieces(bytes: Uint8Array, sizes: number[]): Float32Array {
  const d = new PcmStreamDecoder({ sampleRate: 24_000 });
  const out: number[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length];
    out.push(...d.push(bytes.subarray(at, at + size)));
    at += size;
  }
  out.push(...d.end());
  return Float32Array.from(out);
}

function expectSamples(got: Float32Array, pcm: Int16Array): void {
  expect(got.length).to.equal(pcm.length);
  for (let i = 0; i < pcm.length; i++) if (Math.abs(got[i] - pcm[i] / 32768) > 1e-6) expect.fail(`sample ${i}: ${got[i]} vs ${pcm[i] / 32768}`);
}

describe('PcmStreamDecoder', () => {
  const pcm = testPcm(301);

  it('decodes s16le to f32 = s16 / 32768 exactly, extremes included', () => {
    const got = decodeInPieces(bytesOf(pcm), [602]);
    expectSamples(got, pcm);
    expect(got[0]).to.equal(-1);
    expect(got[1]).to.equal(32767 / 32768);
  });

  it('carries a sample split across pieces, for every piece size from 1 to 9 bytes', () => {
    for (let size = 1; size <= 9; size++) expectSamples(decodeInPieces(bytesOf(pcm), [size]), pcm);
    expectSamples(decodeInPieces(bytesOf(pcm), [1, 2, 3, 5, 7, 11]), pcm);
  });

  it('strips exactly the 44-byte zero-length WAV header, even when it arrives split', () => {
    const stream = Buffer.concat([zeroLengthWavHeader(), bytesOf(pcm)]);
    for (const sizes of [[stream.length], [1], [3], [4, 40, 7], [43, 2]]) expectSamples(decodeInPieces(stream, sizes), pcm);
    const d = new PcmStreamDecoder({ sampleRate: 24_000 });
    d.push(stream);
    expect(d.strippedHeaderBytes).to.equal(44);
  });

  it('stops at the data length a complete WAV declares', () => {
    const data = bytesOf(pcm);
    const stream = Buffer.concat([zeroLengthWavHeader(24_000, 20), data]);
    expectSamples(decodeInPieces(stream, [7]), pcm.subarray(0, 10));
  });

  it('refuses a header of another rate or width, naming both', () => {
    const header = zeroLengthWavHeader(22_050);
    expect(() => new PcmStreamDecoder({ sampleRate: 24_000 }).push(header)).to.throw(/22050 Hz.*expected 16-bit PCM mono at 24000 Hz/);
  });

  it('reports a stream that ends inside the header or with half a sample', () => {
    const inHeader = new PcmStreamDecoder({ sampleRate: 24_000 });
    inHeader.push(zeroLengthWavHeader().subarray(0, 20));
    expect(() => inHeader.end()).to.throw(/inside its WAV header/);
    const odd = new PcmStreamDecoder({ sampleRate: 24_000 });
    odd.push(new Uint8Array([1, 2, 3, 4, 5]));
    expect(() => odd.end()).to.throw(/half a 16-bit sample/);
  });

  it('decodes a stream shorter than the 4-byte RIFF sniff at its end', () => {
    const d = new PcmStreamDecoder({ sampleRate: 24_000 });
    expect(d.push(new Uint8Array([0, 0x40])).length).to.equal(0);
    expect([...d.end()]).to.deep.equal([0x4000 / 32768]);
    expect(d.sampleCount).to.equal(1);
  });
});
