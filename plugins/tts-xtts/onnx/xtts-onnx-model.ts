import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { InferenceSession, Tensor } from '../../../server/models/ort.ts';
import type { ModelProgress } from '../../../server/models/model-spec.ts';
import { GptDecoder } from './gpt-decoder.ts';
import { readXttsModelConfig, type XttsModelConfig } from './model-config.ts';
import { readNpyF32 } from './npy.ts';
import { XttsTokenizer } from './xtts-tokenizer.ts';
import { createOrtSession, type OrtSessionFactory } from './cpu-fallback-sessions.ts';

/** File names of the model directory (./README.md; the pltobing/XTTSv2-Streaming-ONNX layout). */
export const XTTS_ONNX_FILES = {
  gpt: 'gpt_model.onnx',
  vocoder: 'hifigan_vocoder.onnx',
  conditioningEncoder: 'conditioning_encoder.onnx',
  speakerEncoder: 'speaker_encoder.onnx',
  textEmbedding: 'embeddings/text_embedding.npy',
  textPosEmbedding: 'embeddings/text_pos_embedding.npy',
  melEmbedding: 'embeddings/mel_embedding.npy',
  melPosEmbedding: 'embeddings/mel_pos_embedding.npy',
  melStats: 'mel_stats.npy',
  vocab: 'vocab.json',
} as const;

/** An embedding table, row-major [rows][width]. */
export interface EmbeddingTable {
  readonly data: Float32Array;
  readonly rows: number;
  readonly width: number;
}

/** onnxruntime-node session options this backend sets (execution providers and threads from the GPU tier). */
export type XttsSessionOptions = Pick<InferenceSession.SessionOptions, 'executionProviders' | 'intraOpNumThreads' | 'interOpNumThreads' | 'graphOptimizationLevel'>;

/**
 * Everything loaded from one model directory: four onnxruntime sessions, the embedding tables, the
 * conditioning mel divisors, the BPE tokenizer and the token config. Immutable once loaded, so any
 * number of rooms may synthesize with it at once (each with its own {@link GptDecodeState}).
 */
export class XttsOnnxModel {
  private constructor(
    readonly dir: string,
    readonly config: XttsModelConfig,
    readonly tokenizer: XttsTokenizer,
    readonly gpt: GptDecoder,
    readonly vocoder: InferenceSession,
    readonly conditioningEncoder: InferenceSession,
    readonly speakerEncoder: InferenceSession,
    readonly textEmbedding: EmbeddingTable,
    readonly textPosEmbedding: EmbeddingTable,
    readonly melEmbedding: EmbeddingTable,
    readonly melPosEmbedding: EmbeddingTable,
    /** Per-band divisors of the conditioning log-mel, length 80. */
    readonly melStats: Float32Array,
    /** Bytes of the files loaded (for the model manager's resident cap). */
    readonly sizeBytes: number,
  ) {}

  /** D, the GPT width. */
  get width(): number {
    return this.gpt.shape.width;
  }

  /**
   * Loads a model directory; sessions are created one after another (progress per file).
   * @param createSession opens each session; the backend passes `CpuFallbackSessions.open` (./cpu-fallback-sessions.ts) so a
   *   GPU provider that cannot load falls back to the CPU (default: onnxruntime-node's factory, no fallback)
   * @throws Error naming the file that is missing or malformed, or a dimension that disagrees between files
   */
  static async load(
    dir: string,
    sessionOptions: XttsSessionOptions = {},
    progress: ModelProgress = () => undefined,
    signal?: AbortSignal,
    createSession: OrtSessionFactory = createOrtSession,
  ): Promise<XttsOnnxModel> {
    const f = (name: string): string => join(dir, name);
    const missing: string[] = [];
    let bytes = 0;
    for (const name of Object.values(XTTS_ONNX_FILES)) {
      try {
        bytes += (await stat(f(name))).size;
      } catch {
        missing.push(name);
      }
    }
    if (missing.length > 0) throw new Error(`XTTS model directory ${dir} lacks ${missing.join(', ')} (layout: plugins/tts-xtts/onnx/README.md)`);
    const config = await readXttsModelConfig(dir);
    const tokenizer = await XttsTokenizer.load(f(XTTS_ONNX_FILES.vocab));
    // onnxruntime-node rejects keys present with the value undefined.
    const given = Object.fromEntries(Object.entries(sessionOptions).filter(([, v]) => v !== undefined));
    const options: InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', ...given };
    const sessions: InferenceSession[] = [];
    const open = async (name: string, fraction: number): Promise<InferenceSession> => {
      signal?.throwIfAborted();
      progress(fraction, name);
      try {
        const s = await createSession(f(name), options);
        sessions.push(s);
        return s;
      } catch (err) {
        throw new Error(`cannot load ${f(name)}: ${(err as Error).message}`, { cause: err });
      }
    };
    try {
      const gptSession = await open(XTTS_ONNX_FILES.gpt, 0.05);
      const gpt = new GptDecoder(gptSession, f(XTTS_ONNX_FILES.gpt));
      const vocoder = await open(XTTS_ONNX_FILES.vocoder, 0.7);
      const conditioningEncoder = await open(XTTS_ONNX_FILES.conditioningEncoder, 0.8);
      const speakerEncoder = await open(XTTS_ONNX_FILES.speakerEncoder, 0.9);
      progress(0.95, 'embeddings');
      const width = gpt.shape.width;
      const table = async (name: string): Promise<EmbeddingTable> => {
        const { data, shape } = await readNpyF32(f(name), 2);
        if (shape[1] !== width) throw new Error(`${f(name)} is [${shape.join(', ')}]; its width must be the GPT's ${width}`);
        return { data, rows: shape[0], width };
      };
      const textEmbedding = await table(XTTS_ONNX_FILES.textEmbedding);
      const textPosEmbedding = await table(XTTS_ONNX_FILES.textPosEmbedding);
      const melEmbedding = await table(XTTS_ONNX_FILES.melEmbedding);
      const melPosEmbedding = await table(XTTS_ONNX_FILES.melPosEmbedding);
      if (melEmbedding.rows <= Math.max(config.startAudioToken, config.stopAudioToken)) {
        throw new Error(`${f(XTTS_ONNX_FILES.melEmbedding)} has ${melEmbedding.rows} rows; audio tokens go up to ${config.stopAudioToken}`);
      }
      if (textEmbedding.rows <= Math.max(config.startTextToken, tokenizer.vocabSize - 1)) {
        throw new Error(`${f(XTTS_ONNX_FILES.textEmbedding)} has ${textEmbedding.rows} rows; text ids go up to ${Math.max(config.startTextToken, tokenizer.vocabSize - 1)}`);
      }
      const { data: melStats } = await readNpyF32(f(XTTS_ONNX_FILES.melStats), 1);
      if (melStats.length !== 80) throw new Error(`${f(XTTS_ONNX_FILES.melStats)} must hold 80 values, got ${melStats.length}`);
      progress(1, 'ready');
      return new XttsOnnxModel(dir, config, tokenizer, gpt, vocoder, conditioningEncoder, speakerEncoder, textEmbedding, textPosEmbedding, melEmbedding, melPosEmbedding, melStats, bytes);
    } catch (err) {
      await Promise.allSettled(sessions.map((s) => s.release()));
      throw err;
    }
  }

  /** Releases the onnxruntime sessions (GPU memory with the CUDA provider). */
  async release(): Promise<void> {
    await Promise.allSettled([this.gpt.release(), this.vocoder.release(), this.conditioningEncoder.release(), this.speakerEncoder.release()]);
  }
}
