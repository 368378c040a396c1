import type { AppConfig } from '../config/schema.ts';
import type { Playout, PlayoutEvent, ShapingParams } from '../playout/playout.ts';
import type { TtsEngine } from '../synthesis/tts-engine.ts';
import type { VoiceProfiles } from '../synthesis/voice-profiles.ts';
import type { TextChunk } from '../text/chunker-options.ts';
import { continuationOf, endsParagraph } from '../text/continuation.ts';
import { pauseKeyOf, quoteAtSeam } from '../text/pause-keys.ts';
import type { Narration } from './narration.ts';

/**
 * Longest a narration in a voice used for the first time waits for that voice's loudness, ms:
 * espeak-ng measures it in a few hundred ms; a slow engine (XTTS on a CPU) goes on with the
 * configured voice's figures and the next narration gets its own.
 */
const FIRST_USE_CALIBRATION_WAIT_MS = 1500;

/**
 * One room's side of seams and loudness (issue 12): the voice profile a narration uses, the shaping it
 * asks of the assembly thread (whose NarrationAssembler runs the NarrationShaper, issue 13), each
 * chunk's read-ahead and the pause after it, and the loudness the playout measured, fed back.
 * Without voice profiles, or with config `seams` and `loudness` both off, narrations only get their
 * chunk join fades.
 */
export class RoomShaping {
  constructor(
    private readonly deps: {
      readonly roomId: string;
      readonly engine: TtsEngine;
      readonly playout: Playout;
      /** The room's voice; undefined = the engine's default. */
      readonly voice?: string;
      readonly voices?: VoiceProfiles;
      readonly shaping?: Pick<AppConfig, 'seams' | 'loudness'>;
    },
  ) {}

  private get seams(): boolean {
    return this.deps.voices !== undefined && this.deps.shaping?.seams.enabled === true;
  }

  private get loudness(): boolean {
    return this.deps.voices !== undefined && this.deps.shaping?.loudness.enabled === true;
  }

  private voiceOf(n: Pick<Narration, 'voice'>): string | undefined {
    return n.voice ?? this.deps.voice;
  }

  /** A narration was accepted in `voice` (undefined = the room's): a voice never used starts calibrating now. */
  noteVoice(voice: string | undefined): void {
    if (this.seams || this.loudness) this.deps.voices!.get(voice ?? this.deps.voice);
  }

  /** Before synthesis: a voice's first narration waits (once, capped, or until cancelled) for its loudness. */
  async prepare(n: Narration, signal: AbortSignal): Promise<void> {
    if (this.seams || this.loudness) await this.deps.voices!.ready(this.voiceOf(n), FIRST_USE_CALIBRATION_WAIT_MS, signal);
  }

  /**
   * Tells the playout how to shape the narration, from its voice's profile as it is now (the gain stays
   * fixed for the whole narration). Before its first chunk is submitted.
   */
  shape(n: Narration): void {
    const { playout, roomId, voices, shaping } = this.deps;
    const voice = this.voiceOf(n);
    const gain = this.loudness ? voices!.gain(voice) : 1;
    n.gainDb = 20 * Math.log10(gain);
    const params: ShapingParams = {
      seams: this.seams,
      silenceThreshold: voices?.silenceThreshold(voice) ?? 0,
      gain,
      ceilingDbtp: this.loudness ? shaping!.loudness.truePeakDbtp : null,
      meter: this.loudness,
    };
    playout.shapeNarration(roomId, n.id, params);
  }

  /** What the engine reads after `chunk` for its intonation (TtsChunk.continuation); undefined with seams off. */
  continuation(n: Narration, chunk: TextChunk): string | undefined {
    return this.seams ? continuationOf(chunk, n.chunks[chunk.index + 1]) : undefined;
  }

  /**
   * Pause after a chunk before the next one's first sound, ms: the voice's own after that ending,
   * plus its quote extra when a quotation mark sits at the seam, × `seams.paragraphScale` at a
   * paragraph break; 0 after the last chunk or with seams off.
   */
  pauseAfter(n: Narration, chunk: TextChunk): number {
    const key = pauseKeyOf(chunk);
    if (!this.seams || key === null) return 0;
    const profile = this.deps.voices!.get(this.voiceOf(n));
    const pause = profile.pausesMs[key] + (quoteAtSeam(chunk, n.chunks[chunk.index + 1]) ? profile.quoteMs : 0);
    return chunk.boundary === 'sentence' && endsParagraph(chunk.text) ? pause * this.deps.shaping!.seams.paragraphScale : pause;
  }

  /** The playout shaped the narration's audio (`shaped` event): its loudness goes to the report and back to the voice. */
  observe(n: Narration, shaped: Extract<PlayoutEvent, { type: 'shaped' }>): void {
    n.loudnessLufs = shaped.outputLufs;
    if (!this.loudness || shaped.inputLufs === null) return;
    this.deps.voices!.observe(this.voiceOf(n), {
      inputLufs: shaped.inputLufs,
      outputLufs: shaped.outputLufs ?? -Infinity,
      gainDb: n.gainDb,
      seconds: shaped.gatedSeconds,
    });
  }
}
