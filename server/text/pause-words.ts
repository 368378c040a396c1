import { parseLanguage } from './speech-rules.ts';

/**
 * Curated word lists the chunker uses to find and rank pause points, per
 * language. Lowercase, without surrounding punctuation.
 */
export interface PauseWords {
  /** Cut BEFORE these (coordinating conjunctions, subordinators, sequencers). */
  conjunctions: ReadonlySet<string>;
  /** A period after these is not a sentence end and never a cut (titles, Latin abbreviations). */
  noBreakAbbreviations: ReadonlySet<string>;
  /** Words that bind to the next one (articles, prepositions, possessives, auxiliaries): never end a chunk on them. */
  binding: ReadonlySet<string>;
  /** Words that open a phrase (prepositions, relative pronouns): a good place for a forced cut before them. */
  phraseStarters: ReadonlySet<string>;
  /** Units that belong to the number before them ("10 gp", "50 %"). */
  units: ReadonlySet<string>;
  /** Number words, which bind to the noun they count like digits do. */
  numberWords: ReadonlySet<string>;
}

const set = (words: string): ReadonlySet<string> => new Set(words.split(/\s+/).filter(Boolean));

/** Shared by both languages: currency words and table abbreviations. */
const COMMON_UNITS = 'gp sp cp pp ep po pc pe pl % € hp xp pv ft m km kg lb lbs';

/** English lists; conjunctions per the product seed spec, the rest curated for narration. */
export const EN_PAUSE_WORDS: PauseWords = {
  conjunctions: set('and as while when but then because or so until after before although though whereas if unless since'),
  noBreakAbbreviations: set('mr mrs ms dr prof capt sgt lt st jr sr vs e.g i.e cf approx no fig vol'),
  binding: set(`a an the of to in on at by for from with into onto upon my your his her its our their this these those
    some any no every each very more most than is are was were be been being will would can could shall should may might must
    do does did has have had not am`),
  phraseStarters: set(`who whom whose which where with without into from through across toward towards against among between
    behind beneath beyond during under over upon like to in on at near along past`),
  units: set(`${COMMON_UNITS} dollars dollar euros euro cents percent feet foot pounds gold silver copper`),
  numberWords: set('one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred thousand dozen'),
};

/** Portuguese lists; conjunctions per the product seed spec, the rest curated for narration. */
export const PT_PAUSE_WORDS: PauseWords = {
  conjunctions: set('e mas enquanto quando porque então ou pois embora depois antes até porém contudo todavia logo'),
  noBreakAbbreviations: set('sr sra srta dr dra prof profa sto sta vs p ex aprox pág págs nº n.º cf'),
  binding: set(`o a os as um uma uns umas de do da dos das em no na nos nas num numa por pelo pela pelos pelas para pra com
    ao aos à às seu sua seus suas meu minha meus minhas teu tua teus tuas nosso nossa este esta estes estas esse essa esses
    essas aquele aquela aqueles aquelas muito mais não é são era foi será lhe se`),
  phraseStarters: set('que qual quais quem onde cujo cuja com sem para por sobre sob entre contra durante como pelo pela através'),
  units: set(`${COMMON_UNITS} reais real dólares euros centavos metros metro quilos peças peça por`),
  numberWords: set('um uma dois duas três quatro cinco seis sete oito nove dez doze vinte trinta cem cento mil dúzia'),
};

/** Lists with no words: pause points come from punctuation only. */
export const NO_PAUSE_WORDS: PauseWords = {
  conjunctions: set(''),
  noBreakAbbreviations: set(''),
  binding: set(''),
  phraseStarters: set(''),
  units: set(COMMON_UNITS),
  numberWords: set(''),
};

/** The lists for a language tag (`en-US` → English); other languages get {@link NO_PAUSE_WORDS}. */
export function pauseWordsFor(language: string): PauseWords {
  const { base } = parseLanguage(language);
  if (base === 'en') return EN_PAUSE_WORDS;
  if (base === 'pt') return PT_PAUSE_WORDS;
  return NO_PAUSE_WORDS;
}
