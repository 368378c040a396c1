import { ort, type InferenceSession, type Tensor } from '../../../server/models/ort.ts';
import { abortError } from '../../../server/synthesis/tts-engine.ts';
import { concatF32 } from '../../../server/audio/pcm.ts';
import { ChunkStitcher } from './chunk-stitcher.ts';
import { GptDecodeState } from './gpt-decoder.ts';
import { interpolateLatents } from './latent-interpolation.ts';
import { argmax, drawFrom, samplingProbabilities, type SamplingOptions } from './logits-sampler.ts';
import type { EmbeddingTable, XttsOnnxModel } from './xtts-onnx-model.ts';

/** A voice as the GPT and vocoder take it (the `/clone_speaker` latents as typed arrays). */
export interface SpeakerConditioning {
  /** `gpt_cond_latent`, row-major [32][D]. */
  readonly condLatents: Float32Array;
  /** `speaker_embedding`, length 512. */
  readonly speakerEmbedding: Float32Array;
}

/** How one chunk is generated. */
export interface XttsStreamSettings {
  /** GPT tokens per streamed vocoder run (Coqui default 20 ≈ 0.93 s of audio). */
  readonly streamChunkSize: number;
  /** Speaking speed; latents are interpolated by 1 / speed (1 = unchanged). */
  readonly speed: number;
  /** `greedy` (argmax; tests) or sampling settings. */
  readonly decoding: 'greedy' | SamplingOptions;
  /** Uniform [0, 1) source for sampling; default Math.random. */
  readonly random?: () => number;
  /** Samples crossfaded between vocoder runs (XTTS `overlap_wav_len`, 1024). */
  readonly overlapLength?: number;
  /** A lower cap than the model's `maxNewTokens` (the benchmark bounds random-weight runs with it). */
  readonly maxNewTokens?: number;
}

/** Timings reported per stage, ms, for metrics and the benchmark. */
export type XttsStage = 'prefill' | 'decode' | 'vocoder';

/** Rows of `gpt_cond_latent` (the perceiver resampler's latents). */
export const COND_LATENT_ROWS = 32;

/** One generated audio token and the latent of the step that chose it. */
export interface GeneratedToken {
  readonly token: number;
  /** `hidden_states` at the position that produced `token`, length D. */
  readonly latent: Float32Array;
}

/**
 * The GPT half of `Xtts.inference_stream`: prefix embeddings, prefill, then one decode step per audio
 * token through the KV cache (Coqui's `GPT.compute_embeddings`, `GPT2InferenceModel.forward` and the
 * stream generator's `sample_stream`). Yields every token with its latent, the stop token included, and
 * ends after the stop token or `maxNewTokens` tokens.
 *
 * @param textIds BPE ids of the cleaned text without start/stop tokens
 * @throws AbortError when `signal` aborts (checked before every step); Error for text longer than the
 *   position table, bad conditioning shapes, or an onnxruntime failure
 */
export async function* generateAudioTokens(
  model: XttsOnnxModel,
  textIds: readonly number[],
  voice: SpeakerConditioning,
  settings: Pick<XttsStreamSettings, 'decoding' | 'random' | 'maxNewTokens'>,
  signal: AbortSignal,
  onStage: (stage: XttsStage, ms: number) => void = () => undefined,
): AsyncGenerator<GeneratedToken> {
  const width = model.width;
  const { config } = model;
  if (voice.condLatents.length !== COND_LATENT_ROWS * width) {
    throw new Error(`gpt_cond_latent must be ${COND_LATENT_ROWS} × ${width} for this model, got ${voice.condLatents.length} values`);
  }
  const ids = [config.startTextToken, ...textIds, config.stopTextToken];
  if (ids.length > model.textPosEmbedding.rows) {
    throw new Error(`text is ${textIds.length} tokens; this model takes at most ${model.textPosEmbedding.rows - 2} (gpt_max_text_tokens)`);
  }
  // Prefix: cond latents, text embeddings + positions, then the start audio token at audio position 0.
  const prefixRows = COND_LATENT_ROWS + ids.length + 1;
  const prefix = new Float32Array(prefixRows * width);
  prefix.set(voice.condLatents, 0);
  ids.forEach((id, i) => addRows(prefix, (COND_LATENT_ROWS + i) * width, model.textEmbedding, id, model.textPosEmbedding, i));
  addRows(prefix, (prefixRows - 1) * width, model.melEmbedding, config.startAudioToken, model.melPosEmbedding, 0);

  const state = new GptDecodeState();
  const random = settings.random ?? Math.random;
  const maxNewTokens = Math.min(config.maxNewTokens, settings.maxNewTokens ?? Infinity);
  // transformers' repetition penalty sees the whole input_ids: the prefix placeholders (1) and the start token.
  const seen = new Set<number>([1, config.startAudioToken]);
  checkAbort(signal);
  let t = performance.now();
  let step = await model.gpt.run(state, prefix, prefixRows);
  onStage('prefill', performance.now() - t);
  for (let generated = 1; ; generated++) {
    const token = settings.decoding === 'greedy' ? argmax(step.logits) : drawFrom(samplingProbabilities(step.logits, seen, settings.decoding), random);
    seen.add(token);
    yield { token, latent: step.latent };
    if (token === config.stopAudioToken || generated >= maxNewTokens) return;
    checkAbort(signal);
    const embed = new Float32Array(width);
    addRows(embed, 0, model.melEmbedding, token, model.melPosEmbedding, generated);
    t = performance.now();
    step = await model.gpt.run(state, embed, 1);
    onStage('decode', performance.now() - t);
  }
}

/**
 * `Xtts.inference_stream` (TTS/tts/models/xtts.py) for one chunk of text: {@link generateAudioTokens}, and
 * every `streamChunkSize` tokens (and once more when generation ends, as Coqui does) the vocoder on all
 * latents so far, stitched by {@link ChunkStitcher}. Steps and sources: ./README.md.
 *
 * Cancellation: `signal` is checked before every GPT step and vocoder run, so an abort costs at most one
 * step (one decode step of the release model: tens of ms on a CPU, a few ms on a GPU).
 *
 * @param textIds BPE ids of the cleaned text without start/stop tokens
 * @param onStage called after each stage with its duration, ms
 * @returns mono f32 blocks in [-1, 1] at 24 000 Hz
 * @throws AbortError when `signal` aborts; Error for text longer than the position table, bad conditioning
 *   shapes, or an onnxruntime failure
 */
export async function* xttsInferenceStream(
  model: XttsOnnxModel,
  textIds: readonly number[],
  voice: SpeakerConditioning,
  settings: XttsStreamSettings,
  signal: AbortSignal,
  onStage: (stage: XttsStage, ms: number) => void = () => undefined,
): AsyncGenerator<Float32Array> {
  const width = model.width;
  if (voice.speakerEmbedding.length !== 512) throw new Error(`speaker_embedding must be 512 values, got ${voice.speakerEmbedding.length}`);
  const stitcher = new ChunkStitcher(settings.overlapLength ?? 1024);
  const speaker = new ort.Tensor('float32', voice.speakerEmbedding, [1, 512, 1]);
  const latents: Float32Array[] = [];
  let sinceVocoder = 0;

  const vocode = async (): Promise<Float32Array> => {
    checkAbort(signal);
    const scaled = interpolateLatents(concatF32(latents), latents.length, width, 1 / settings.speed);
    const start = performance.now();
    const out = await model.vocoder.run({
      latents: new ort.Tensor('float32', scaled.data, [1, scaled.rows, width]),
      speaker_embedding: speaker,
    });
    onStage('vocoder', performance.now() - start);
    return stitcher.push(out[model.vocoder.outputNames[0]].data as Float32Array);
  };

  for await (const { latent } of generateAudioTokens(model, textIds, voice, settings, signal, onStage)) {
    latents.push(latent);
    if (++sinceVocoder >= settings.streamChunkSize) {
      yield await vocode();
      sinceVocoder = 0;
    }
  }
  // Coqui vocodes once more when the generator ends, even right after a full chunk.
  yield await vocode();
}

/** out[offset..offset+D) = table[row] + positions[position]. @throws Error for a row outside either table */
function addRows(out: Float32Array, offset: number, table: EmbeddingTable, row: number, positions: EmbeddingTable, position: number): void {
  if (row < 0 || row >= table.rows) throw new Error(`token ${row} is outside the embedding table (${table.rows} rows)`);
  if (position >= positions.rows) throw new Error(`position ${position} is outside the position table (${positions.rows} rows)`);
  const w = table.width;
  const a = row * w;
  const b = position * w;
  for (let d = 0; d < w; d++) out[offset + d] = table.data[a + d] + positions.data[b + d];
}

function checkAbort(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}
