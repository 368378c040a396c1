import { expect } from 'chai';
import { parseSpeakerLatents } from '../../../plugins/tts-xtts/speaker-latents.ts';
import { standInLatents } from '../../fixtures/xtts/stand-in-server.ts';

describe('speaker latents (the /clone_speaker format)', () => {
  it('accepts [32][1024] gpt_cond_latent and [512] speaker_embedding', () => {
    const value = standInLatents();
    expect(parseSpeakerLatents(value, 'src')).to.deep.equal(value);
  });

  it('names the source and the mis-shaped field', () => {
    const good = standInLatents();
    const cases: [unknown, RegExp][] = [
      [null, /^src: speaker latents must be an object.*got null/],
      [{ speaker_embedding: good.speaker_embedding }, /src: gpt_cond_latent must be \[32\]\[1024\] numbers, got undefined/],
      [{ ...good, gpt_cond_latent: good.gpt_cond_latent.slice(1) }, /gpt_cond_latent must be \[32\]\[1024\] numbers, got \[31\]\[1024\]/],
      [{ ...good, gpt_cond_latent: good.gpt_cond_latent.map((r, i) => (i === 4 ? r.slice(1) : r)) }, /gpt_cond_latent\[4\] must be 1024 numbers, got 1023 item/],
      [{ ...good, speaker_embedding: [...good.speaker_embedding, 0] }, /speaker_embedding must be 512 numbers, got 513 item/],
      [{ ...good, speaker_embedding: good.speaker_embedding.map((x, i) => (i === 9 ? null : x)) }, /speaker_embedding\[9\] must be a finite number, got null/],
    ];
    for (const [value, pattern] of cases) expect(() => parseSpeakerLatents(value, 'src')).to.throw(pattern);
  });
});
