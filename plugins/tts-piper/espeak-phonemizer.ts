import type { ESpeakNGWorker } from '@echogarden/espeak-ng-emscripten';
import { piperSentences, type EspeakClause } from './piper-phonemes.ts';

/** espeak-ng's fastest rate, words per minute: phonemes do not depend on it, and the throw-away audio is shortest. */
const PHONEMIZE_WPM = 450;

/**
 * Phonemizes text as Piper does (piper-phonemes.ts), with the espeak-ng build the package already
 * ships (@echogarden/espeak-ng-emscripten, GPL-3, loaded only by this plugin's worker). Its
 * `synthesize_and_get_phonemes` gives one IPA line per clause (espeak's phoneme trace) and an `end`
 * event at each clause's end in the text, from which the clause's terminator is read. It synthesizes
 * audio as a side effect (discarded; at 450 wpm, about 15 ms per 100 characters on this machine).
 * One instance holds one espeak-ng state: use it from one thread.
 */
export class EspeakPhonemizer {
  private voice = '';

  private constructor(private readonly espeak: ESpeakNGWorker) {}

  /** Loads espeak-ng (its ~24 MB data file) in this thread. */
  static async create(): Promise<EspeakPhonemizer> {
    const { default: initEspeak } = await import('@echogarden/espeak-ng-emscripten');
    const module = await initEspeak();
    return new EspeakPhonemizer(new module.eSpeakNGWorker());
  }

  /**
   * Whether espeak-ng knows a voice (`en-us`, `pt-br`).
   */
  hasVoice(espeakVoice: string): boolean {
    const previous = this.voice;
    const ok = this.espeak.set_voice(espeakVoice) === 0;
    if (previous) this.espeak.set_voice(previous);
    return ok;
  }

  /**
   * Piper's sentences of phonemes for `text`.
   * @param espeakVoice the voice's `espeak.voice`
   * @param phonemeMap the voice's `phoneme_map`
   * @throws Error naming the voice when espeak-ng does not know it, or when espeak's trace and its
   *   clause events disagree (a bug to report, with the text's length)
   */
  sentences(text: string, espeakVoice: string, phonemeMap: Readonly<Record<string, readonly string[]>> = {}): string[][] {
    if (this.voice !== espeakVoice) {
      if (this.espeak.set_voice(espeakVoice) !== 0) throw new Error(`espeak-ng has no voice "${espeakVoice}" (the voice config's espeak.voice)`);
      this.espeak.set_rate(PHONEMIZE_WPM);
      this.voice = espeakVoice;
    }
    const ends: number[] = [];
    const trace = this.espeak.synthesize_and_get_phonemes(text, (_samples, events) => {
      for (const e of events) if (e.type === 'end') ends.push(e.text_position);
      return 0;
    });
    if (typeof trace !== 'string') throw new Error('espeak-ng returned no phoneme trace');
    const lines = trace.split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (lines.length !== ends.length) {
      throw new Error(`espeak-ng gave ${lines.length} phoneme line(s) for ${ends.length} clause(s) of a ${text.length}-character text`);
    }
    // Positions are 1-based code points; each clause runs from the previous clause's end to its own.
    const chars = Array.from(text);
    let from = 0;
    const clauses: EspeakClause[] = lines.map((ipa, i) => {
      const to = Math.min(chars.length, Math.max(from, ends[i]!));
      const clause = { ipa, text: chars.slice(from, to).join('') };
      from = to;
      return clause;
    });
    return piperSentences(clauses, espeakVoice, phonemeMap);
  }
}
