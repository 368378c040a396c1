import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpyF32 } from '../../../../plugins/tts-xtts/onnx/npy.ts';
import { computeSpeakerLatents, readMonoWav, toConditioning } from '../../../../plugins/tts-xtts/onnx/speaker-conditioning.ts';
import { XttsOnnxModel } from '../../../../plugins/tts-xtts/onnx/xtts-onnx-model.ts';

/**
 * Voice cloning (`get_conditioning_latents`) on the tiny random-weight fixture vs the PyTorch reference
 * (tools/xtts-fixtures): the GPT conditioning path sees the same 22 050 Hz samples as the reference, so it
 * matches tightly; the speaker path resamples to 16 kHz with libsamplerate where the reference used
 * torchaudio's resampler, so it is compared by cosine similarity.
 */
const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'xtts-onnx');
const REF = join(FIXTURES, 'reference');

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

describe('computeSpeakerLatents on the tiny fixture vs the PyTorch reference (random weights)', function () {
  this.timeout(60_000);
  let model: XttsOnnxModel;
  before(async () => {
    model = await XttsOnnxModel.load(join(FIXTURES, 'tiny'));
  });
  after(() => model?.release());

  it('averages the conditioning encoder over 4 s pieces and matches the reference latents', async () => {
    const ref = JSON.parse(readFileSync(join(REF, 'clone.json'), 'utf8')) as { pieces: number[][]; cond_latents: { atol: number }; speaker_embedding: { cosine_min: number } };
    expect(ref.pieces).to.have.length(2);
    const wav = await readMonoWav(join(REF, 'ref.wav'));
    expect(wav.sampleRate).to.equal(22_050);
    const latents = await computeSpeakerLatents(model, [wav]);
    const { condLatents, speakerEmbedding } = toConditioning(latents);
    const expected = (await readNpyF32(join(REF, 'clone_cond_latents.npy'))).data;
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(condLatents[i] - expected[i]));
    expect(maxDiff).to.be.below(ref.cond_latents.atol);
    const speaker = (await readNpyF32(join(REF, 'clone_speaker_embedding.npy'))).data;
    expect(cosine(speakerEmbedding, speaker)).to.be.at.least(ref.speaker_embedding.cosine_min);
    expect(latents.gpt_cond_latent).to.have.length(32);
    expect(latents.gpt_cond_latent[0]).to.have.length(64);
  });

  it('refuses to clone from nothing or from under 0.33 s of audio', async () => {
    let err: Error | undefined;
    try {
      await computeSpeakerLatents(model, []);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/no reference audio/);
    err = undefined;
    try {
      await computeSpeakerLatents(model, [{ samples: new Float32Array(2000), sampleRate: 22_050 }]);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/shorter than 0.33 s/);
  });
});
