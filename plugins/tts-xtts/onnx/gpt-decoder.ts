import { ort, type InferenceSession, type Tensor } from '../../../server/models/ort.ts';

/** Shape of the GPT read from `gpt_model.onnx`'s inputs (never assumed: the release model is 30 × 16 × 64). */
export interface GptShape {
  /** L: transformer layers (count of `past_key_{i}` inputs). */
  readonly layers: number;
  /** H: attention heads (dim 1 of `past_key_0`). */
  readonly heads: number;
  /** Dh: width of one head (dim 3 of `past_key_0`). */
  readonly headWidth: number;
  /** D: model width (dim 2 of `inputs_embeds`, else H × Dh). */
  readonly width: number;
}

/** One step's result at the last input position. */
export interface GptStepOutput {
  /** Logits over the audio codes, length 1026 for XTTS (a copy). */
  readonly logits: Float32Array;
  /** XTTS's latent, `final_norm(ln_f(h))`, length D (a copy). */
  readonly latent: Float32Array;
}

/**
 * A sequence being decoded: the KV cache (the previous step's `present_*` tensors, fed back as
 * `past_*`) and the attended length. One per chunk being synthesized; sessions are shared.
 */
export class GptDecodeState {
  /** Tokens attended so far (prefix + generated). */
  length = 0;
  past: Record<string, Tensor> | undefined;
}

/**
 * The XTTS GPT-2 decoder in `gpt_model.onnx` (inputs `inputs_embeds` [B,S,D], `attention_mask` int64
 * [B,past+S], `past_key_{i}` / `past_value_{i}` [B,H,past,Dh]; outputs `logits` [B,S,1026],
 * `hidden_states` [B,S,D], `present_key_{i}` / `present_value_{i}` [B,H,past+S,Dh]); see ./README.md.
 * Prefill runs the whole prefix with an empty cache; each decode step runs one embedding.
 * Concurrent sequences may share one instance: onnxruntime sessions accept concurrent `run` calls.
 */
export class GptDecoder {
  readonly shape: GptShape;
  private readonly pastNames: { key: string; value: string; presentKey: string; presentValue: string }[];

  /** @throws Error naming the missing input/output or the dimension that is not a number */
  constructor(private readonly session: InferenceSession, source = 'gpt_model.onnx') {
    const inputs = new Set(session.inputNames);
    const outputs = new Set(session.outputNames);
    for (const name of ['inputs_embeds', 'attention_mask']) if (!inputs.has(name)) throw new Error(`${source}: input "${name}" missing; inputs are ${session.inputNames.join(', ')}`);
    for (const name of ['logits', 'hidden_states']) if (!outputs.has(name)) throw new Error(`${source}: output "${name}" missing; outputs are ${session.outputNames.join(', ')}`);
    let layers = 0;
    while (inputs.has(`past_key_${layers}`)) layers++;
    if (layers === 0) throw new Error(`${source}: no past_key_0 input; this is not a KV-cache export (inputs: ${session.inputNames.join(', ')})`);
    this.pastNames = Array.from({ length: layers }, (_, i) => ({ key: `past_key_${i}`, value: `past_value_${i}`, presentKey: `present_key_${i}`, presentValue: `present_value_${i}` }));
    for (const n of this.pastNames) {
      if (!inputs.has(n.value)) throw new Error(`${source}: input "${n.value}" missing`);
      if (!outputs.has(n.presentKey) || !outputs.has(n.presentValue)) throw new Error(`${source}: output "${n.presentKey}" or "${n.presentValue}" missing`);
    }
    const pastShape = tensorShape(session, 'past_key_0', source);
    const heads = pastShape[1];
    const headWidth = pastShape[3];
    if (typeof heads !== 'number' || typeof headWidth !== 'number') {
      throw new Error(`${source}: past_key_0 must have fixed heads and head width, got shape [${pastShape.join(', ')}]`);
    }
    const embedShape = tensorShape(session, 'inputs_embeds', source);
    const width = typeof embedShape[2] === 'number' ? embedShape[2] : heads * headWidth;
    this.shape = { layers, heads, headWidth, width };
  }

  /** Releases the session. */
  release(): Promise<void> {
    return this.session.release();
  }

  /**
   * Runs `count` embeddings after what `state` holds and advances it.
   * @param embeds row-major [count][D]
   * @throws Error when the shape is wrong or onnxruntime fails
   */
  async run(state: GptDecodeState, embeds: Float32Array, count: number): Promise<GptStepOutput> {
    const { width, heads, headWidth } = this.shape;
    if (embeds.length !== count * width) throw new Error(`GPT input must be ${count} × ${width} floats, got ${embeds.length}`);
    const total = state.length + count;
    const feeds: Record<string, Tensor> = {
      inputs_embeds: new ort.Tensor('float32', embeds, [1, count, width]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
    };
    for (const n of this.pastNames) {
      if (state.past) {
        feeds[n.key] = state.past[n.presentKey];
        feeds[n.value] = state.past[n.presentValue];
      } else {
        feeds[n.key] = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headWidth]);
        feeds[n.value] = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headWidth]);
      }
    }
    const out = await this.session.run(feeds);
    state.past = out;
    state.length = total;
    const logits = out.logits.data as Float32Array;
    const hidden = out.hidden_states.data as Float32Array;
    const vocab = logits.length / count;
    return {
      logits: logits.slice((count - 1) * vocab, count * vocab),
      latent: hidden.slice((count - 1) * width, count * width),
    };
  }
}

/** Declared shape of a session input, from onnxruntime's metadata. @throws Error when it is not a tensor */
export function tensorShape(session: InferenceSession, name: string, source: string): ReadonlyArray<number | string> {
  const meta = session.inputMetadata.find((m) => m.name === name);
  if (!meta || !meta.isTensor) throw new Error(`${source}: input "${name}" is not a tensor`);
  return meta.shape;
}
