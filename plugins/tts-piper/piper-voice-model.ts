import { ort, type InferenceSession } from '../../server/models/ort.ts';
import { abortError } from '../../server/synthesis/tts-engine.ts';
import type { EspeakPhonemizer } from './espeak-phonemizer.ts';
import { phonemesToIds } from './phoneme-ids.ts';
import type { PiperVoiceFiles } from './voice-config.ts';

/** The inputs Piper's export gives every voice (rhasspy/piper src/python/piper_train/export_onnx.py); `sid` only multi-speaker ones. */
const REQUIRED_INPUTS = ['input', 'input_lengths', 'scales'] as const;

/** Options of {@link PiperVoiceModel.synthesize}. */
export interface PiperSynthesisOptions {
  /** A name of the voice's `speaker_id_map`, or a speaker number; default speaker 0 (Piper's default). */
  readonly speaker?: string;
  /** Multiplies the voice's `inference.length_scale` (> 1 is slower speech). Default 1. */
  readonly lengthScale?: number;
  /** Checked before each sentence: an aborted signal ends synthesis with an `AbortError`. */
  readonly signal?: AbortSignal;
}

/** One sentence's audio: mono f32 at the voice's rate, as the model produced it (no normalization). */
export interface SentenceAudio {
  readonly samples: Float32Array;
  /** 0-based sentence index within the text. */
  readonly sentence: number;
  /** Phonemes the voice's id map lacked (skipped, as Piper does). */
  readonly missingPhonemes: number;
}

/**
 * One Piper voice ready to speak: its ONNX session and config, phonemized by an {@link EspeakPhonemizer}.
 * Synthesizes sentence by sentence (Piper's unit: `phonemize_eSpeak` gives sentences, `synthesize`
 * runs one inference each), yielding each sentence's audio as soon as it is ready, so the first
 * audio comes after one sentence, not the whole text.
 */
export class PiperVoiceModel {
  private constructor(
    readonly files: PiperVoiceFiles,
    private readonly session: InferenceSession,
    private readonly phonemizer: EspeakPhonemizer,
  ) {}

  /**
   * Loads a voice's model and checks it against its config.
   * @param options.intraOpThreads onnxruntime's intra-op threads for this session (default: onnxruntime's)
   * @throws Error naming the file: the model does not load; its inputs are not Piper's; it takes
   *   `sid` but the config says one speaker, or the reverse; espeak-ng does not know `espeak.voice`
   */
  static async load(files: PiperVoiceFiles, phonemizer: EspeakPhonemizer, options: { intraOpThreads?: number } = {}): Promise<PiperVoiceModel> {
    const { config, onnxPath, jsonPath } = files;
    if (config.phoneme_type !== 'espeak') throw new Error(`Piper voice config ${jsonPath}: phoneme_type "${config.phoneme_type}" is not supported (only "espeak")`);
    if (!phonemizer.hasVoice(config.espeak.voice)) throw new Error(`Piper voice config ${jsonPath}: espeak.voice "${config.espeak.voice}" is not a voice espeak-ng knows`);
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(onnxPath, {
        ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
        interOpNumThreads: 1,
      });
    } catch (err) {
      throw new Error(`Piper voice ${onnxPath}: the model does not load: ${(err as Error).message}`, { cause: err });
    }
    const fail = async (why: string) => {
      await session.release();
      return new Error(`Piper voice ${onnxPath}: ${why} (its config: ${jsonPath})`);
    };
    const missing = REQUIRED_INPUTS.filter((n) => !session.inputNames.includes(n));
    if (missing.length > 0) throw await fail(`the model lacks Piper's input(s) ${missing.join(', ')}; it has ${session.inputNames.join(', ')}`);
    if (!session.outputNames.includes('output')) throw await fail(`the model has no "output" (it has ${session.outputNames.join(', ')})`);
    const takesSid = session.inputNames.includes('sid');
    if (takesSid && config.num_speakers <= 1) throw await fail('the model takes a speaker id (sid) but num_speakers is 1');
    if (!takesSid && config.num_speakers > 1) throw await fail(`num_speakers is ${config.num_speakers} but the model takes no speaker id (sid)`);
    return new PiperVoiceModel(files, session, phonemizer);
  }

  /** Hz (`audio.sample_rate`). */
  get sampleRate(): number {
    return this.files.config.audio.sample_rate;
  }

  /** The voice's speakers by name (`speaker_id_map`); empty for a single-speaker voice. */
  get speakers(): readonly string[] {
    return Object.keys(this.files.config.speaker_id_map);
  }

  /**
   * A speaker's id: a name of `speaker_id_map`, or a number below `num_speakers`.
   * @throws Error naming the speaker and the voice's speakers
   */
  speakerId(speaker: string | undefined): number {
    const { num_speakers: count, speaker_id_map: names } = this.files.config;
    if (speaker === undefined) return 0;
    if (Object.hasOwn(names, speaker)) return names[speaker]!;
    const n = /^\d+$/.test(speaker) ? Number(speaker) : NaN;
    if (Number.isInteger(n) && n < count) return n;
    const known = Object.keys(names);
    throw new Error(`Piper voice ${this.files.onnxPath} has no speaker "${speaker}"; ${count > 1 ? `speakers: ${known.slice(0, 20).join(', ')}${known.length > 20 ? `, … (${known.length})` : ''} or 0–${count - 1}` : 'it has one speaker'}`);
  }

  /**
   * Speaks `text` sentence by sentence.
   * @throws Error as {@link speakerId}; `AbortError` when `options.signal` aborts (checked before each sentence)
   */
  async *synthesize(text: string, options: PiperSynthesisOptions = {}): AsyncGenerator<SentenceAudio> {
    const { config } = this.files;
    const sid = config.num_speakers > 1 ? this.speakerId(options.speaker) : undefined;
    if (config.num_speakers <= 1 && options.speaker !== undefined) this.speakerId(options.speaker);
    const { noise_scale, length_scale, noise_w } = config.inference;
    const scales = new ort.Tensor('float32', Float32Array.from([noise_scale, length_scale * (options.lengthScale ?? 1), noise_w]), [3]);
    const sentences = this.phonemizer.sentences(text, config.espeak.voice, config.phoneme_map);
    for (const [i, phonemes] of sentences.entries()) {
      if (options.signal?.aborted) throw abortError(options.signal);
      const { ids, missing } = phonemesToIds(phonemes, config.phoneme_id_map);
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
        input: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
        input_lengths: new ort.Tensor('int64', BigInt64Array.from([BigInt(ids.length)]), [1]),
        scales,
      };
      if (sid !== undefined) feeds.sid = new ort.Tensor('int64', BigInt64Array.from([BigInt(sid)]), [1]);
      const { output } = await this.session.run(feeds);
      // [1, 1, 1, samples] from Piper's export; read the last axis, as Piper's runtimes do.
      const samples = output!.data as Float32Array;
      let skipped = 0;
      for (const count of missing.values()) skipped += count;
      yield { samples, sentence: i, missingPhonemes: skipped };
    }
  }

  /** Releases the ONNX session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
