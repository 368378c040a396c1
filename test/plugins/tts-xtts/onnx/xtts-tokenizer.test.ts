import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { XttsLanguage } from '../../../../plugins/tts-xtts/languages.ts';
import { cleanXttsText } from '../../../../plugins/tts-xtts/onnx/text-cleaners.ts';
import { XttsTokenizer } from '../../../../plugins/tts-xtts/onnx/xtts-tokenizer.ts';

const FIXTURE_VOCAB = 'test/fixtures/xtts-onnx/tiny/vocab.json';
const TOKENS_JSON = 'test/fixtures/xtts-onnx/reference/tokens.json';

/** A minimal vocab in XTTS-v2's vocab.json shape: added tokens, Whitespace pre-tokenizer, BPE, fuse_unk false. */
function miniVocab(): object {
  const symbols = ['[STOP]', '[UNK]', '[SPACE]', '!', 'a', 'o', 'ç', 'ã', 'x', 'çã', 'ção', '[en]', '[pt]', '[zh-cn]'];
  const vocab = Object.fromEntries(symbols.map((s, i) => [s, i]));
  const added = ['[STOP]', '[UNK]', '[SPACE]', '[en]', '[pt]', '[zh-cn]'].map((content) => ({
    id: vocab[content], content, special: true, single_word: false, lstrip: false, rstrip: false, normalized: false,
  }));
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null,
    pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null,
    model: { type: 'BPE', dropout: null, unk_token: '[UNK]', continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, vocab, merges: ['ç ã', 'çã o'] },
  };
}

describe('XttsTokenizer', () => {
  let dir: string;
  let mini: XttsTokenizer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xtts-vocab-'));
    await writeFile(join(dir, 'vocab.json'), JSON.stringify(miniVocab()));
    mini = await XttsTokenizer.load(join(dir, 'vocab.json'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prefixes the language token and puts [SPACE] for every space', () => {
    // [pt] a [SPACE] a [SPACE] [SPACE] o
    expect(mini.encodeCleaned('a a  o', 'pt')).to.deep.equal([12, 4, 2, 4, 2, 2, 5]);
  });

  it('keeps accented letters inside a word when pre-tokenizing (Unicode \\w, as the Rust library)', () => {
    // "ção!" → pre-tokens "ção" and "!" → BPE ç+ã → çã, çã+o → ção
    expect(mini.encodeCleaned('ção!', 'pt')).to.deep.equal([12, 10, 3]);
  });

  it('maps characters missing from the vocab to [UNK] one by one', () => {
    expect(mini.encodeCleaned('aéé', 'en')).to.deep.equal([11, 4, 1, 1]);
  });

  it('writes Chinese as [zh-cn], the token XTTS-v2 has', () => {
    expect(mini.encodeCleaned('a', 'zh')[0]).to.equal(13);
  });

  it('cleans before encoding in encode()', () => {
    expect(mini.encode('  A  "A"  ', 'en')).to.deep.equal(mini.encodeCleaned('a a', 'en'));
  });

  it('counts ids up to the highest one', () => {
    expect(mini.vocabSize).to.equal(14);
  });

  it('names a language whose token the vocab lacks', () => {
    expect(() => mini.encodeCleaned('a', 'de')).to.throw(/\[de\].*"de"/);
  });

  it('names the file when vocab.json is missing, not JSON, or not a BPE tokenizer', async () => {
    const missing = join(dir, 'missing.json');
    await XttsTokenizer.load(missing).then(() => expect.fail('loaded'), (e: Error) => expect(e.message).to.contain(missing));
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ nope');
    await XttsTokenizer.load(bad).then(() => expect.fail('loaded'), (e: Error) => expect(e.message).to.contain(bad).and.contain('JSON'));
    const wordPiece = join(dir, 'wp.json');
    await writeFile(wordPiece, JSON.stringify({ model: { type: 'WordPiece', vocab: {} } }));
    await XttsTokenizer.load(wordPiece).then(() => expect.fail('loaded'), (e: Error) => expect(e.message).to.contain(wordPiece).and.contain('BPE'));
  });

  describe('on the XTTS-shaped fixture vocab', function () {
    before(function () {
    });

    it('gives the reference ids of every tokens.json case', async () => {
      const tok = await XttsTokenizer.load(FIXTURE_VOCAB);
      const cases = JSON.parse(readFileSync(TOKENS_JSON, 'utf8')) as { lang: XttsLanguage; text: string; ids: number[] }[];
      expect(cases.length).to.be.greaterThan(0);
      for (const c of cases) expect(tok.encodeCleaned(c.text, c.lang), `${c.lang}: ${c.text}`).to.deep.equal(c.ids);
    });

    it('sees the reference texts as already clean', () => {
      const cases = JSON.parse(readFileSync(TOKENS_JSON, 'utf8')) as { lang: XttsLanguage; text: string }[];
      // "send it to bob@home" is the one case with a symbol; the others must survive cleaning as they are.
      for (const c of cases.filter((x) => !x.text.includes('@') && !/\d/.test(x.text))) {
        expect(cleanXttsText(c.text, c.lang)).to.equal(c.text);
      }
    });

    it('counts the fixture vocab up to its [START] id 261', async () => {
      expect((await XttsTokenizer.load(FIXTURE_VOCAB)).vocabSize).to.equal(262);
    });
  });
});
