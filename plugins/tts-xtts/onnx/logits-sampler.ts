/**
 * Next-token choice of XTTS's GPT, as Hugging Face transformers' `sample` does it for the generation
 * arguments `Xtts.inference_stream` passes (TTS/tts/models/xtts.py): the logits processor
 * `RepetitionPenaltyLogitsProcessor`, then the warpers `TemperatureLogitsWarper`, `TopKLogitsWarper`,
 * `TopPLogitsWarper` (that order: `GenerationMixin._get_logits_warper`), softmax, one multinomial draw.
 */

/** Sampling settings; defaults are `inference_stream`'s (temperature 0.75, top-k 50, top-p 0.85, repetition penalty 10). */
export interface SamplingOptions {
  /** > 0; logits are divided by it. */
  readonly temperature: number;
  /** Keep the k most likely tokens; 0 = no limit. */
  readonly topK: number;
  /** Keep the smallest most-likely set whose probability passes this (0, 1]; 1 = no limit. */
  readonly topP: number;
  /** ≥ 1; a token already in the sequence has a positive logit divided by it, a negative one multiplied. */
  readonly repetitionPenalty: number;
}

/** `Xtts.inference_stream` defaults (TTS/tts/models/xtts.py). */
export const XTTS_SAMPLING_DEFAULTS: Readonly<SamplingOptions> = Object.freeze({ temperature: 0.75, topK: 50, topP: 0.85, repetitionPenalty: 10 });

/**
 * The probabilities the draw uses: the processors above applied to `logits` in place order, then softmax.
 * @param logits one position's logits (1026 for XTTS); not modified
 * @param seen ids already in the sequence (penalized once each, however often they occur)
 * @returns probabilities summing to 1 (zeros for removed tokens), same length as `logits`
 */
export function samplingProbabilities(logits: Float32Array, seen: Iterable<number>, options: SamplingOptions): Float64Array {
  const n = logits.length;
  const scores = Float64Array.from(logits);
  if (options.repetitionPenalty !== 1) {
    for (const id of new Set(seen)) {
      if (id < 0 || id >= n) continue;
      const s = scores[id];
      scores[id] = s < 0 ? s * options.repetitionPenalty : s / options.repetitionPenalty;
    }
  }
  if (options.temperature !== 1) for (let i = 0; i < n; i++) scores[i] /= options.temperature;
  // transformers keeps ties at the k-th score too (`scores < topk(...)[-1]` removes only strictly lower ones).
  if (options.topK > 0 && options.topK < n) {
    const kth = [...scores].sort((a, b) => b - a)[options.topK - 1];
    for (let i = 0; i < n; i++) if (scores[i] < kth) scores[i] = -Infinity;
  }
  if (options.topP < 1) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
    const probs = softmax(scores);
    let cumulative = 0;
    // Ascending: drop tokens while the mass below them stays ≤ 1 − top_p; the most likely one always stays.
    for (let r = 0; r < n - 1; r++) {
      cumulative += probs[order[r]];
      if (cumulative <= 1 - options.topP) scores[order[r]] = -Infinity;
      else break;
    }
  }
  return softmax(scores);
}

/** Index of the largest logit (first on ties, as `torch.argmax`). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/**
 * Draws one index from `probs` with a uniform number in [0, 1).
 * @param random e.g. a seeded generator; must return values in [0, 1)
 */
export function drawFrom(probs: Float64Array, random: () => number): number {
  const u = random();
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] <= 0) continue;
    cumulative += probs[i];
    last = i;
    if (u < cumulative) return i;
  }
  return last;
}

function softmax(scores: Float64Array): Float64Array {
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  const out = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const e = scores[i] === -Infinity ? 0 : Math.exp(scores[i] - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}
