import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { EspeakPhonemizer } from '../../../plugins/tts-piper/espeak-phonemizer.ts';
import { phonemesToIds } from '../../../plugins/tts-piper/phoneme-ids.ts';
import { readPiperVoice } from '../../../plugins/tts-piper/voice-config.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/piper/${name}`, import.meta.url));

/**
 * The generated stand-ins for Piper voices (random weights, tools/piper-fixtures/generate.py) have
 * Piper's export interface, run on onnxruntime-node, and make audio whose length follows the
 * phonemes and `length_scale` as VITS's does: 256 samples per frame, ceil(e^1.4 × length_scale) = 5
 * frames per phoneme id at length_scale 1 with noise_w 0.
 */
describe('tts-piper fixture voices: Piper\'s ONNX interface on onnxruntime-node (random-weight stand-ins, not voices)', function () {
  this.timeout(60_000);
  type Ort = typeof import('onnxruntime-node');
  let ort: Ort;
  let phonemizer: EspeakPhonemizer;
  before(async () => {
    ({ ort } = await import('../../../server/models/ort.ts'));
    phonemizer = await EspeakPhonemizer.create();
  });

  async function synthesize(name: string, ids: number[], lengthScale: number, sid?: number): Promise<Float32Array> {
    const session = await ort.InferenceSession.create(fixture(`${name}.onnx`));
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {
      input: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      input_lengths: new ort.Tensor('int64', BigInt64Array.from([BigInt(ids.length)]), [1]),
      scales: new ort.Tensor('float32', Float32Array.from([0, lengthScale, 0]), [3]),
    };
    if (sid !== undefined) feeds.sid = new ort.Tensor('int64', BigInt64Array.from([BigInt(sid)]), [1]);
    const { output } = await session.run(feeds);
    expect(output!.dims.length).to.equal(4);
    expect(output!.dims.slice(0, 3)).to.deep.equal([1, 1, 1]);
    await session.release();
    return output!.data as Float32Array;
  }

  it('has Piper\'s inputs and output, and audio as long as the phonemes at the length scale', async () => {
    const voice = await readPiperVoice(fixture('en_US-tiny.onnx'));
    const [sentence] = phonemizer.sentences('The tavern falls silent.', voice.config.espeak.voice);
    const { ids } = phonemesToIds(sentence!, voice.config.phoneme_id_map);
    const session = await ort.InferenceSession.create(fixture('en_US-tiny.onnx'));
    expect(session.inputNames).to.deep.equal(['input', 'input_lengths', 'scales']);
    expect(session.outputNames).to.deep.equal(['output']);
    await session.release();
    expect((await synthesize('en_US-tiny', ids, 1)).length).to.equal(ids.length * 5 * 256);
    expect((await synthesize('en_US-tiny', ids, 2)).length).to.equal(ids.length * 9 * 256);
  });

  it('a multi-speaker voice takes `sid`, and each speaker sounds different', async () => {
    const voice = await readPiperVoice(fixture('en_US-tiny-multi.onnx'));
    expect(voice.config.num_speakers).to.equal(3);
    const ids = phonemesToIds(phonemizer.sentences('Hello.', 'en-us')[0]!, voice.config.phoneme_id_map).ids;
    const a = await synthesize('en_US-tiny-multi', ids, 1, 0);
    const again = await synthesize('en_US-tiny-multi', ids, 1, 0);
    const b = await synthesize('en_US-tiny-multi', ids, 1, 2);
    expect(Array.from(again)).to.deep.equal(Array.from(a));
    expect(b.length).to.equal(a.length);
    expect(a.some((v, i) => Math.abs(v - b[i]!) > 1e-4)).to.equal(true);
  });
});
