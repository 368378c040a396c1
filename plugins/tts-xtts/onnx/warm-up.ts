import { ort, type InferenceSession, type Tensor } from '../../../server/models/ort.ts';
import { abortError } from '../../../server/synthesis/tts-engine.ts';
import { concatF32 } from '../../../server/audio/pcm.ts';
import { GptDecodeState } from './gpt-decoder.ts';
import { COND_LATENT_ROWS } from './xtts-inference.ts';
import type { XttsOnnxModel } from './xtts-onnx-model.ts';

/** Decode steps of the warm-up (enough for onnxruntime to settle its allocations for one-token steps). */
const WARM_UP_STEPS = 4;

/**
 * Runs every session once so the first narration does not pay for lazy initialisation (graph
 * optimisation, arena growth, CUDA kernels): a GPT prefill of a short prefix, a few one-token steps, and
 * the vocoder on those latents. Not a whole utterance: with a neutral voice the model could babble up to
 * 602 tokens, which on a CPU takes tens of seconds. Seed 004 asks for a warm-up after load.
 * @throws AbortError when `signal` aborts; Error when a session fails
 */
export async function warmUpXtts(model: XttsOnnxModel, signal: AbortSignal): Promise<void> {
  const width = model.width;
  const state = new GptDecodeState();
  const prefixRows = COND_LATENT_ROWS + 8;
  const embeds = new Float32Array(prefixRows * width);
  for (let r = 0; r < prefixRows; r++) embeds.set(model.melPosEmbedding.data.subarray(0, width), r * width);
  const latents: Float32Array[] = [(await model.gpt.run(state, embeds, prefixRows)).latent];
  for (let i = 0; i < WARM_UP_STEPS; i++) {
    if (signal.aborted) throw abortError(signal);
    latents.push((await model.gpt.run(state, model.melPosEmbedding.data.slice(0, width), 1)).latent);
  }
  await model.vocoder.run({
    latents: new ort.Tensor('float32', concatF32(latents), [1, latents.length, width]),
    speaker_embedding: new ort.Tensor('float32', new Float32Array(512), [1, 512, 1]),
  });
}
