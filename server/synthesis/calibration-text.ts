import type { TextChunk } from '../text/chunker-options.ts';

/**
 * The text VoiceProfiles calibrates a voice with: two chunks as the chunker would cut them, one pair
 * per pause key (voice-profiles.ts PauseKey), plus one with a quotation mark at a sentence seam.
 * Plain words (nothing the normalizer would change), in en and pt (other languages use en).
 */
export type CalibrationSeam = readonly [Pick<TextChunk, 'spoken' | 'boundary'>, Pick<TextChunk, 'spoken' | 'boundary'>];

const seam = (spoken: string, boundary: TextChunk['boundary']) => ({ spoken, boundary });

export const CALIBRATION: Readonly<Record<'en' | 'pt', { seams: readonly CalibrationSeam[]; quoted: CalibrationSeam }>> = {
  en: {
    seams: [
      [seam('The gate is open.', 'sentence'), seam('When the torches flicker,', 'clause')],
      [seam('When the torches flicker,', 'clause'), seam('the hall grows dark', 'conjunction')],
      [seam('the hall grows dark', 'conjunction'), seam('and the old man waits beside the heavy', 'forced')],
      [seam('and the old man waits beside the heavy', 'forced'), seam('door of the keep;', 'clause')],
      [seam('door of the keep;', 'clause'), seam('nobody moves!', 'sentence')],
      [seam('nobody moves!', 'sentence'), seam('Who is there?', 'sentence')],
      [seam('Who is there?', 'sentence'), seam('It is only the wind.', 'end')],
    ],
    quoted: [seam('The gate is open.', 'sentence'), seam('"Who is there?"', 'end')],
  },
  pt: {
    seams: [
      [seam('O portão está aberto.', 'sentence'), seam('Quando as tochas tremulam,', 'clause')],
      [seam('Quando as tochas tremulam,', 'clause'), seam('o salão fica escuro', 'conjunction')],
      [seam('o salão fica escuro', 'conjunction'), seam('e o velho espera ao lado da pesada', 'forced')],
      [seam('e o velho espera ao lado da pesada', 'forced'), seam('porta do castelo;', 'clause')],
      [seam('porta do castelo;', 'clause'), seam('ninguém se move!', 'sentence')],
      [seam('ninguém se move!', 'sentence'), seam('Quem está aí?', 'sentence')],
      [seam('Quem está aí?', 'sentence'), seam('É só o vento.', 'end')],
    ],
    quoted: [seam('O portão está aberto.', 'sentence'), seam('"Quem está aí?"', 'end')],
  },
};
