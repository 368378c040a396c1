import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { type XttsLanguage, xttsWireLanguage } from '../languages.ts';
import { cleanXttsText } from './text-cleaners.ts';

/**
 * Hugging Face tokenizers' `Whitespace` pre-tokenizer is the Oniguruma regex `\w+|[^\w\s]+` with Unicode
 * word characters (tokenizers/src/pre_tokenizers/whitespace.rs). tokenizers.js implements `Whitespace`
 * with an ASCII-only pattern, which splits "canção" into "can", "çã", "o" and changes the BPE ids, but
 * translates a `Split` pattern with Oniguruma's own word class; so the vocab's `Whitespace` is loaded as
 * that `Split` (the reference ids of test/fixtures/xtts-onnx/reference/tokens.json need it).
 */
const WHITESPACE_AS_SPLIT = { type: 'Split', pattern: { Regex: '\\w+|[^\\w\\s]+' }, behavior: 'Isolated', invert: false } as const;

/** Word break token XTTS puts for every space (Coqui `VoiceBpeTokenizer.encode`). */
const SPACE_TOKEN = '[SPACE]';

/**
 * XTTS-v2 text → BPE token ids, as Coqui `VoiceBpeTokenizer.encode` (TTS/tts/layers/xtts/tokenizer.py):
 * clean ({@link cleanXttsText}), prefix `[lang]` (`zh` → `[zh-cn]`, the token the released vocab
 * has), spaces → `[SPACE]`, then the vocab's Hugging Face tokenizer (added tokens split out first,
 * Whitespace pre-tokenizer, BPE; characters missing from the vocab become `[UNK]`). The ids exclude
 * the GPT's start/stop text tokens (261 / 0), which the caller adds (`GPT.compute_embeddings`).
 */
export class XttsTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly path: string,
    private readonly maxId: number,
    private readonly addedTokens: ReadonlySet<string>,
  ) {}

  /**
   * Loads `vocab.json` (a Hugging Face `tokenizer.json` document; XTTS-v2 ships it as vocab.json).
   * @throws Error naming `vocabPath` when the file is missing, not JSON, or not a tokenizer document.
   */
  static async load(vocabPath: string): Promise<XttsTokenizer> {
    let text: string;
    try {
      text = await readFile(vocabPath, 'utf8');
    } catch (err) {
      throw new Error(`cannot read XTTS vocab ${vocabPath}: ${(err as Error).message}`, { cause: err });
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`XTTS vocab ${vocabPath} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    const model = json?.model as { type?: unknown; vocab?: unknown; merges?: unknown } | undefined;
    if (typeof json !== 'object' || json === null || model?.type !== 'BPE' || typeof model.vocab !== 'object' || !Array.isArray(model.merges)) {
      throw new Error(`XTTS vocab ${vocabPath} is not a tokenizers JSON with a BPE model (model.type "BPE", model.vocab, model.merges)`);
    }
    let tokenizer: Tokenizer;
    try {
      const preTokenizer = (json.pre_tokenizer as { type?: string } | null)?.type === 'Whitespace' ? WHITESPACE_AS_SPLIT : json.pre_tokenizer;
      tokenizer = new Tokenizer({ normalizer: null, post_processor: null, decoder: null, added_tokens: [], ...json, pre_tokenizer: preTokenizer ?? null }, {});
    } catch (err) {
      throw new Error(`XTTS vocab ${vocabPath} could not be loaded: ${(err as Error).message}`, { cause: err });
    }
    const vocab = tokenizer.get_vocab(true);
    // Only added tokens are cut out whole before pre-tokenizing; a plain vocab entry "[en]" would not be.
    const added = new Set([...tokenizer.get_added_tokens_decoder().values()].map((t) => t.content));
    if (!added.has(SPACE_TOKEN)) throw new Error(`XTTS vocab ${vocabPath} has no ${SPACE_TOKEN} added token`);
    return new XttsTokenizer(tokenizer, vocabPath, Math.max(...vocab.values()), added);
  }

  /**
   * Number of text token ids: highest id + 1 (Coqui `get_number_tokens`), so every id indexes a
   * `text_embedding` table of at least this many rows. Equals the token count for the released vocab.
   */
  get vocabSize(): number {
    return this.maxId + 1;
  }

  /**
   * Raw text → ids (cleaning included).
   * @throws Error naming the language when the vocab has no `[lang]` token for it.
   */
  encode(text: string, language: XttsLanguage): number[] {
    return this.encodeCleaned(cleanXttsText(text, language), language);
  }

  /**
   * Already-cleaned text → ids (`[lang]` prefix, spaces → `[SPACE]`, BPE); no cleaning.
   * @throws Error naming the language when the vocab has no `[lang]` token for it.
   */
  encodeCleaned(cleaned: string, language: XttsLanguage): number[] {
    const langToken = `[${xttsWireLanguage(language)}]`;
    if (!this.addedTokens.has(langToken)) {
      throw new Error(`XTTS vocab ${this.path} has no ${langToken} added token: language "${language}" is not in this model`);
    }
    return this.tokenizer.encode(`${langToken}${cleaned}`.replaceAll(' ', SPACE_TOKEN), { add_special_tokens: false }).ids;
  }
}
