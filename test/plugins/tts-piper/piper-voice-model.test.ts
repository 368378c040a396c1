import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EspeakPhonemizer } from '../../../plugins/tts-piper/espeak-phonemizer.ts';
import { PiperVoiceModel, type SentenceAudio } from '../../../plugins/tts-piper/piper-voice-model.ts';
import { readPiperVoice } from '../../../plugins/tts-piper/voice-config.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/piper/${name}`, import.meta.url));

/** A copy of a fixture voice with its config edited (a temp folder per call). */
function editedVoice(name: string, edit: (json: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'vrpg-piper-voice-'));
  const onnx = join(dir, `${name}.onnx`);
  copyFileSync(fixture(`${name}.onnx`), onnx);
  const json = JSON.parse(readFileSync(fixture(`${name}.onnx.json`), 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(`${onnx}.json`, JSON.stringify(json));
  return onnx;
}

const noNoise = (json: Record<string, unknown>) => (json.inference = { noise_scale: 0, length_scale: 1, noise_w: 0 });

async function all(gen: AsyncGenerator<SentenceAudio>): Promise<SentenceAudio[]> {
  const out: SentenceAudio[] = [];
  for await (const s of gen) out.push(s);
  return out;
}

describe('tts-piper PiperVoiceModel on the fixture voices (random-weight stand-ins with Piper\'s interface, onnxruntime-node)', function () {
  this.timeout(60_000);
  let phonemizer: EspeakPhonemizer;
  before(async () => {
    phonemizer = await EspeakPhonemizer.create();
  });

  it('speaks sentence by sentence, each sentence\'s audio a whole number of 256-sample frames, longer with length_scale', async () => {
    const model = await PiperVoiceModel.load(await readPiperVoice(editedVoice('en_US-tiny', noNoise)), phonemizer);
    try {
      expect(model.sampleRate).to.equal(22050);
      const text = 'The tavern falls silent. A stranger walks in! Who is she?';
      const sentences = await all(model.synthesize(text));
      expect(sentences.map((s) => s.sentence)).to.deep.equal([0, 1, 2]);
      const ids = phonemizer.sentences(text, 'en-us').map((p) => 2 * p.length + 3);
      // Without noise the fixture gives 5 frames per id (tools/piper-fixtures/generate.py).
      expect(sentences.map((s) => s.samples.length)).to.deep.equal(ids.map((n) => n * 5 * 256));
      const slower = await all(model.synthesize(text, { lengthScale: 2 }));
      expect(slower.map((s) => s.samples.length)).to.deep.equal(ids.map((n) => n * 9 * 256));
    } finally {
      await model.release();
    }
  });

  it('honours the speaker of a multi-speaker voice (by name or number) and refuses an unknown one', async () => {
    const model = await PiperVoiceModel.load(await readPiperVoice(editedVoice('en_US-tiny-multi', noNoise)), phonemizer);
    try {
      expect(model.speakers).to.deep.equal(['speaker_0', 'speaker_1', 'speaker_2']);
      const [a] = await all(model.synthesize('Hello.', { speaker: 'speaker_0' }));
      const [a2] = await all(model.synthesize('Hello.', { speaker: '0' }));
      const [b] = await all(model.synthesize('Hello.', { speaker: 'speaker_2' }));
      expect(Array.from(a2!.samples)).to.deep.equal(Array.from(a!.samples));
      expect(a!.samples.some((v, i) => Math.abs(v - b!.samples[i]!) > 1e-4)).to.equal(true);
      expect(() => model.speakerId('narrator')).to.throw(/no speaker "narrator"; speakers: speaker_0, speaker_1, speaker_2 or 0–2/);
    } finally {
      await model.release();
    }
  });

  it('stops between sentences when cancelled', async () => {
    const model = await PiperVoiceModel.load(await readPiperVoice(fixture('en_US-tiny.onnx')), phonemizer);
    try {
      const abort = new AbortController();
      const gen = model.synthesize('One. Two. Three.', { signal: abort.signal });
      expect((await gen.next()).value).to.have.property('sentence', 0);
      abort.abort();
      let err: unknown;
      try {
        await gen.next();
      } catch (e) {
        err = e;
      }
      expect((err as Error).name).to.equal('AbortError');
    } finally {
      await model.release();
    }
  });

  it('refuses, naming the file, a config whose speakers or espeak voice do not match the model', async () => {
    const refusal = async (onnx: string) => {
      try {
        await PiperVoiceModel.load(await readPiperVoice(onnx), phonemizer);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(await refusal(editedVoice('en_US-tiny', (j) => (j.num_speakers = 4)))).to.match(/en_US-tiny\.onnx: num_speakers is 4 but the model takes no speaker id/);
    expect(await refusal(editedVoice('en_US-tiny-multi', (j) => (j.num_speakers = 1)))).to.match(/en_US-tiny-multi\.onnx: the model takes a speaker id \(sid\) but num_speakers is 1/);
    expect(await refusal(editedVoice('en_US-tiny', (j) => (j.espeak = { voice: 'xx-nowhere' })))).to.match(/en_US-tiny\.onnx\.json: espeak\.voice "xx-nowhere" is not a voice espeak-ng knows/);
  });
});
