import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { concatF32 } from '../../../../server/audio/pcm.ts';
import { readNpyF32 } from '../../../../plugins/tts-xtts/onnx/npy.ts';
import { XttsOnnxModel } from '../../../../plugins/tts-xtts/onnx/xtts-onnx-model.ts';
import { generateAudioTokens, xttsInferenceStream, type SpeakerConditioning, type XttsStage } from '../../../../plugins/tts-xtts/onnx/xtts-inference.ts';
import { samplingProbabilities } from '../../../../plugins/tts-xtts/onnx/logits-sampler.ts';
import { isAbortError } from '../../../../server/synthesis/tts-engine.ts';

/**
 * The TypeScript XTTS inference loop against references computed by a straightforward PyTorch
 * implementation of the same steps (tools/xtts-fixtures/generate.py) on tiny random-weight models with
 * the export's exact input/output names: no real XTTS weights exist here (none can be fetched, and they
 * are non-commercial).
 */
const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'xtts-onnx');
const REF = join(FIXTURES, 'reference');
const json = <T>(name: string): T => JSON.parse(readFileSync(join(REF, name), 'utf8')) as T;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length, 'lengths').to.equal(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function referenceVoice(): Promise<SpeakerConditioning> {
  return {
    condLatents: (await readNpyF32(join(REF, 'clone_cond_latents.npy'))).data,
    speakerEmbedding: (await readNpyF32(join(REF, 'clone_speaker_embedding.npy'))).data,
  };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('XTTS ONNX inference on the tiny fixture vs the PyTorch reference (random weights)', function () {
  this.timeout(60_000);
  let model: XttsOnnxModel;
  let stopModel: XttsOnnxModel;
  let voice: SpeakerConditioning;

  before(async () => {
    model = await XttsOnnxModel.load(join(FIXTURES, 'tiny'));
    stopModel = await XttsOnnxModel.load(join(FIXTURES, 'tiny-stop'));
    voice = await referenceVoice();
  });
  after(async () => {
    await model?.release();
    await stopModel?.release();
  });

  it('discovers layers, heads and widths from the model files instead of assuming 30 × 1024', () => {
    expect(model.gpt.shape).to.deep.equal({ layers: 2, heads: 4, headWidth: 16, width: 64 });
    expect(model.config.maxNewTokens).to.equal(45);
  });

  it('generates the reference greedy tokens, with latents matching, through prefill and the KV cache', async () => {
    const ref = json<{ text_ids: number[]; tokens: number[]; latents: { atol: number } }>('gpt_greedy.json');
    const latents = await readNpyF32(join(REF, 'gpt_greedy_latents.npy'));
    const textIds = ref.text_ids.slice(1, -1); // the reference lists start/stop text tokens; the loop adds them
    expect(ref.text_ids[0]).to.equal(261);
    const got = await collect(generateAudioTokens(model, textIds, voice, { decoding: 'greedy' }, new AbortController().signal));
    expect(got.map((g) => g.token)).to.deep.equal(ref.tokens);
    expect(maxAbsDiff(concatF32(got.map((g) => g.latent)), latents.data)).to.be.below(ref.latents.atol);
  });

  it('stops at the stop token and keeps its latent (a model whose first choice is 1025)', async () => {
    const ref = json<{ text_ids: number[]; tokens: number[] }>('gpt_greedy_stop.json');
    const got = await collect(generateAudioTokens(stopModel, ref.text_ids.slice(1, -1), voice, { decoding: 'greedy' }, new AbortController().signal));
    expect(got.map((g) => g.token)).to.deep.equal([1025]);
    expect(got[0].latent.length).to.equal(64);
  });

  it('filters logits exactly as transformers\' processors do (reference cases)', () => {
    const cases = json<{ cases?: unknown[] } | unknown[]>('sampling.json');
    const list = (Array.isArray(cases) ? cases : cases.cases) as { logits: number[]; previous_ids: number[]; temperature: number; top_k: number; top_p: number; repetition_penalty: number; probs: number[] }[];
    expect(list.length).to.be.at.least(6);
    for (const c of list) {
      const p = samplingProbabilities(Float32Array.from(c.logits), c.previous_ids, { temperature: c.temperature, topK: c.top_k, topP: c.top_p, repetitionPenalty: c.repetition_penalty });
      expect(maxAbsDiff(p, c.probs), `case t=${c.temperature} k=${c.top_k} p=${c.top_p} r=${c.repetition_penalty}`).to.be.below(1e-5);
      for (let i = 0; i < p.length; i++) if (c.probs[i] === 0) expect(p[i], `token ${i} must be removed`).to.equal(0);
    }
  });

  it('streams the reference audio: same chunk lengths and samples at speeds 1, 1.5, 0.8, and when generation ends on a chunk boundary', async () => {
    type Case = { speed: number; token_count: number; chunk_lengths: number[]; audio: string; short_branch: boolean[] };
    const ref = json<{ stream_chunk_size: number; overlap_wav_len: number; atol: number; cases: Case[] }>('stream.json');
    const greedy = json<{ text_ids: number[] }>('gpt_greedy.json');
    expect(ref.cases.map((c) => c.speed)).to.include.members([1, 1.5, 0.8]);
    expect(ref.cases.some((c) => c.short_branch.includes(true)), 'a case takes the PR #3160 branch').to.equal(true);
    for (const c of ref.cases) {
      const settings = { streamChunkSize: ref.stream_chunk_size, speed: c.speed, decoding: 'greedy' as const, overlapLength: ref.overlap_wav_len, maxNewTokens: c.token_count };
      const blocks = await collect(xttsInferenceStream(model, greedy.text_ids.slice(1, -1), voice, settings, new AbortController().signal));
      expect(blocks.map((b) => b.length), `speed ${c.speed}, ${c.token_count} tokens`).to.deep.equal(c.chunk_lengths);
      const audio = (await readNpyF32(join(REF, c.audio))).data;
      expect(maxAbsDiff(concatF32(blocks), audio), `speed ${c.speed}`).to.be.below(ref.atol);
    }
  });

  it('streams a one-token generation as Coqui does, and at speed 1.5 ends cleanly where torch raises', async () => {
    const ref = json<{ cases: { speed: number; chunk_lengths?: number[]; error?: string }[] }>('stream_stop.json');
    const greedy = json<{ text_ids: number[] }>('gpt_greedy_stop.json');
    for (const c of ref.cases) {
      const blocks = await collect(xttsInferenceStream(stopModel, greedy.text_ids.slice(1, -1), voice, { streamChunkSize: 20, speed: c.speed, decoding: 'greedy' }, new AbortController().signal));
      if (c.error) {
        expect(c.error).to.match(/output sizes should be greater than 0/);
        expect(blocks.length, `speed ${c.speed}`).to.equal(1);
      } else {
        expect(blocks.map((b) => b.length), `speed ${c.speed}`).to.deep.equal(c.chunk_lengths);
      }
    }
  });

  it('runs the vocoder as the reference does on given latents', async () => {
    const ref = json<{ atol?: number }>('vocoder.json');
    const latents = await readNpyF32(join(REF, 'vocoder_latents.npy'));
    const expected = (await readNpyF32(join(REF, 'vocoder_out.npy'))).data;
    const { ort } = await import('../../../../server/models/ort.ts');
    const out = await model.vocoder.run({
      latents: new ort.Tensor('float32', latents.data, latents.shape),
      speaker_embedding: new ort.Tensor('float32', (await readNpyF32(join(REF, 'speaker_embedding_16k.npy'))).data, [1, 512, 1]),
    });
    expect(maxAbsDiff(out[model.vocoder.outputNames[0]].data as Float32Array, expected)).to.be.below(ref.atol ?? 1e-4);
  });

  it('costs at most one more GPT step after an abort', async () => {
    const greedy = json<{ text_ids: number[] }>('gpt_greedy.json');
    const ac = new AbortController();
    const stages: XttsStage[] = [];
    let afterAbort = 0;
    let err: unknown;
    try {
      for await (const _ of generateAudioTokens(model, greedy.text_ids.slice(1, -1), voice, { decoding: 'greedy' }, ac.signal, (s) => {
        stages.push(s);
        if (ac.signal.aborted) afterAbort++;
      })) {
        if (stages.length === 5) ac.abort();
      }
    } catch (e) {
      err = e;
    }
    expect(isAbortError(err), String(err)).to.equal(true);
    expect(afterAbort).to.be.at.most(1);
    expect(stages.length).to.be.below(7);
  });

  it('samples reproducibly from a seed and differently from another seed', async () => {
    const greedy = json<{ text_ids: number[] }>('gpt_greedy.json');
    const { seededRandom } = await import('../../../../server/util/seeded-random.ts');
    const run = async (seed: number) => (await collect(generateAudioTokens(model, greedy.text_ids.slice(1, -1), voice,
      { decoding: { temperature: 0.75, topK: 50, topP: 0.85, repetitionPenalty: 10 }, random: seededRandom(seed) }, new AbortController().signal))).map((g) => g.token);
    const a = await run(1);
    expect(await run(1)).to.deep.equal(a);
    expect(await run(2)).to.not.deep.equal(a);
  });

  it('refuses text longer than the position table and conditioning of the wrong width, naming them', async () => {
    const tooLong = new Array(model.textPosEmbedding.rows).fill(5);
    let err: Error | undefined;
    try {
      await collect(generateAudioTokens(model, tooLong, voice, { decoding: 'greedy' }, new AbortController().signal));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/text is \d+ tokens; this model takes at most/);
    err = undefined;
    try {
      await collect(generateAudioTokens(model, [5], { ...voice, condLatents: new Float32Array(32 * 1024) }, { decoding: 'greedy' }, new AbortController().signal));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/gpt_cond_latent must be 32 × 64/);
  });
});
