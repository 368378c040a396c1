import type { TextChunk } from '../../../server/text/semantic-chunker.ts';

/**
 * Sample narration and helpers shared by the text-stage tests: hand-written
 * passages (dialogue, numbers, Portuguese, a run-on sentence) and a seeded
 * generator of varied narration for property tests.
 */

/** Mulberry32 seeded PRNG (the bench's), so property-test failures reproduce. Returns floats in [0, 1). */
export { seededRandom } from '../../../bench/util.ts';

export const DIALOGUE_EN = `The tavern door bursts open, and a cold wind sweeps across the room. Dr. Vex steps inside, her cloak dripping with rain, while the bard stops mid-song. "Who among you," she asks, "has seen the Crimson Blade?" Nobody answers. "Run!" shouts the innkeeper. The innkeeper, a stout dwarf named Borin, wipes a mug and shrugs; he has heard that question before. Mr. Smith from St. Cuthbert's chapel whispers something... then falls silent.`;

export const NUMBERS_EN = `The merchant lists his wares: 3 healing potions at 50 gp each, a +2 longsword for $1,250, 12 arrows, 4 torches, and 1 map. You have 23 HP left, your AC is 17, and the DC is 15. Roll 2d8 + 4 for the fire damage, then 1d6-1 for the splash. The 3rd and 4th doors cost 10 sp; the 21st costs 3.5 gp. Around 75% of the gold, 1,500 coins in all, is already gone.`;

export const RUN_ON_EN = 'the old wizard walked slowly through the dark forest looking for the lost amulet of the ancient kings that had been stolen by the goblins many years ago in the great war of the northern mountains where the dragons once lived in peace with the dwarves and the elves of the silver river valley under the light of the twin moons that rose every night above the frozen peaks of the world';

export const PARAGRAPHS_PT = `O vento uiva entre as torres quebradas enquanto o grupo avança pela ponte. O Sr. Almeida, um mercador nervoso, segura a bolsa com R$ 1.234,56 e olha para trás. "Vocês ouviram isso?" pergunta ele.

Ninguém responde, mas o chão começa a tremer. Rolem 1d20+5 para a iniciativa, porque a 2ª onda de mortos-vivos chegou. A Sra. Costa tem 45 PV e CA 16; o teste é CD 14. Depois da batalha, vocês encontram 300 po e uma espada longa +1 escondida atrás do altar de pedra negra.`;

export const SHORT_LINE = 'Roll for initiative!';

const WORDS = `the goblin dragon sword shadow tavern night ancient ruin whisper ranger cleric wizard bard torch door stone river
  crypt altar moon storm blade shield rune gate tower forest cold dark silent old quick heavy bright slowly suddenly carefully
  walks runs falls rises burns breaks opens sings waits watches strikes hides a an of in on at with from into across`.split(/\s+/).filter(Boolean);
const EXTRAS = ['2d8+4', 'd20', '$1,250', '10 gp', '3rd', '45 HP', 'AC 15', 'Dr. Vex', 'Mr. Smith', '12.5%', '1,500', '"Halt!"', 'R$ 5,00'];
const CONJ = ['and', 'but', 'while', 'when', 'because', 'then', 'so', 'until', 'if'];
const ENDS = ['.', '.', '.', '!', '?', '…'];

/** Seeded varied English narration: sentences of 3–40 words with clause marks, conjunctions, numbers and RPG notation. */
export function randomNarration(rand: () => number, sentences: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const out: string[] = [];
  for (let s = 0; s < sentences; s++) {
    const n = 3 + Math.floor(rand() * rand() * 40);
    const words: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = rand();
      let w = r < 0.08 ? pick(EXTRAS) : r < 0.14 && i > 1 ? pick(CONJ) : pick(WORDS);
      if (i === 0) w = w.charAt(0).toUpperCase() + w.slice(1);
      if (i < n - 1 && rand() < 0.08) w += pick([',', ',', ';', ':', ' —']);
      words.push(w);
    }
    out.push(words.join(' ') + pick(ENDS));
  }
  return out.join(rand() < 0.1 ? '\n\n' : ' ');
}

/** Splits `text` into deltas of 1..maxSize chars (an LLM-like stream). */
export function randomDeltas(text: string, rand: () => number, maxSize: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const size = 1 + Math.floor(rand() * maxSize);
    out.push(text.slice(i, i + size));
    i += size;
  }
  return out;
}

/** Offsets in the input where one chunk ends and the next begins. */
export function cutOffsets(chunks: readonly TextChunk[]): number[] {
  const cuts: number[] = [];
  let at = 0;
  for (const c of chunks.slice(0, -1)) {
    at += c.text.length;
    cuts.push(at);
  }
  return cuts;
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

/** Whether a cut at `offset` falls inside a word (letters/digits on both sides). */
export function cutsInsideWord(input: string, offset: number): boolean {
  return WORD_CHAR.test(input.charAt(offset - 1)) && WORD_CHAR.test(input.charAt(offset));
}
