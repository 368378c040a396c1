import { expect } from 'chai';
import { nativeAudioOptionsSchema } from '../../../plugins/audio-native/options.ts';

describe('nativeAudioOptionsSchema', () => {
  it('fills the defaults', () => {
    expect(nativeAudioOptionsSchema.parse({})).to.deep.equal({
      device: 'default',
      framesPerBuffer: 512,
      writeBufferMs: 80,
      overflowQueueMs: 200,
      required: false,
    });
  });

  it('accepts a device id or a device name', () => {
    expect(nativeAudioOptionsSchema.parse({ device: 3 }).device).to.equal(3);
    expect(nativeAudioOptionsSchema.parse({ device: ' USB Audio ' }).device).to.equal('USB Audio');
  });

  it('rejects framesPerBuffer outside 256–512, naming the field', () => {
    for (const framesPerBuffer of [128, 1024, 300.5]) {
      const parsed = nativeAudioOptionsSchema.safeParse({ framesPerBuffer });
      expect(parsed.success, String(framesPerBuffer)).to.equal(false);
      expect(parsed.error!.issues[0]!.path).to.deep.equal(['framesPerBuffer']);
    }
    expect(nativeAudioOptionsSchema.parse({ framesPerBuffer: 256 }).framesPerBuffer).to.equal(256);
  });

  it('rejects unknown keys and empty or negative devices', () => {
    expect(nativeAudioOptionsSchema.safeParse({ latency: 10 }).success).to.equal(false);
    expect(nativeAudioOptionsSchema.safeParse({ device: '' }).success).to.equal(false);
    expect(nativeAudioOptionsSchema.safeParse({ device: -1 }).success).to.equal(false);
  });
});
