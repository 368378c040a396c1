/**
 * Piper's phoneme → id mapping (rhasspy/piper-phonemize src/phoneme_ids.cpp `phonemes_to_ids`):
 * BOS `^` then the pad `_`; each phoneme's ids, each followed by the pad; EOS `$`. Phonemes missing
 * from the voice's map are skipped and counted (Piper logs them and goes on).
 */

/** A voice's `phoneme_id_map`: one phoneme (one Unicode code point) → its ids (usually one). */
export type PhonemeIdMap = Readonly<Record<string, readonly number[]>>;

/** Piper's special symbols (piper-phonemize src/phoneme_ids.hpp). */
export const PAD = '_';
export const BOS = '^';
export const EOS = '$';

/** The ids of one sentence's phonemes, and the phonemes the map lacked. */
export interface PhonemeIds {
  /** `input` of the model: int ids. */
  readonly ids: number[];
  /** Phonemes skipped because the voice's map has no id for them, with their counts. */
  readonly missing: ReadonlyMap<string, number>;
}

/**
 * Maps one sentence's phonemes (code points, as {@link phonemizeSentences} gives them) to model input ids.
 * @param phonemes the sentence's phonemes, one code point each
 * @param map the voice's `phoneme_id_map`; must hold `_`, `^` and `$`
 * @throws Error naming the missing special symbol when the map lacks `_`, `^` or `$`
 */
export function phonemesToIds(phonemes: readonly string[], map: PhonemeIdMap): PhonemeIds {
  const special = (symbol: string): readonly number[] => {
    const ids = map[symbol];
    if (!ids || ids.length === 0) throw new Error(`phoneme_id_map has no id for "${symbol}" (Piper's ${symbol === PAD ? 'pad' : symbol === BOS ? 'sentence start' : 'sentence end'})`);
    return ids;
  };
  const pad = special(PAD);
  const ids: number[] = [...special(BOS), ...pad];
  const missing = new Map<string, number>();
  for (const phoneme of phonemes) {
    const mapped = Object.hasOwn(map, phoneme) ? map[phoneme] : undefined;
    if (!mapped) {
      missing.set(phoneme, (missing.get(phoneme) ?? 0) + 1);
      continue;
    }
    ids.push(...mapped, ...pad);
  }
  ids.push(...special(EOS));
  return { ids, missing };
}
