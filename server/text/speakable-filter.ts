import { textProblem } from '../narration/narration-error.ts';

/**
 * Streaming filter from a language model's answer (deltas split anywhere, even inside a markup token)
 * to text the narrator can say and caption (issue 14). Dropped with their content:
 * - `*stage directions*`, the role-play convention of actions in single asterisks. A `*` opens one
 *   when followed by a non-space and not preceded by a letter or digit (CommonMark's left-flanking
 *   rule: `5 * 3`, `5*3`, `word*` keep theirs); it closes at the next lone `*` (or run of 3+) after a
 *   non-space, `**` runs inside being skipped. No closer within `maxHeldChars` or before a blank line
 *   (emphasis never spans paragraphs): the `*` is plain text. Unclosed at the end: dropped. Trade-off:
 *   `*really*` emphasis goes too; persona prompts should ask for `**`/`_` emphasis or none.
 * - `<think>…</think>` / `<thinking>…</thinking>` (any case), the reasoning blocks of Qwen3 and
 *   DeepSeek-R1, however long: discarded as they stream, never buffered. A bare `</think>` (R1
 *   templates put `<think>` in the prompt) cannot be caught while streaming: have the server split
 *   reasoning out (llama-server `--reasoning-format`).
 * - images `![alt](url)`; emoji (`\p{Extended_Pictographic}`, © ® ™ included, flags, skin tones,
 *   variation selectors, keycap U+20E3, tag characters, a ZWJ inside a sequence); what
 *   {@link textProblem} rejects (control, bidi and lone-surrogate characters).
 * Markers removed, text kept (CommonMark 0.31.2, https://spec.commonmark.org/0.31.2/): other tags
 * `<name …>` `</name>` (a `<` starting none stays); `**` `__` `_` emphasis (intraword `_`, as in
 * `snake_case`, stays); inline backticks; `\` escapes; links `[text](url)` → `text`; at a line start
 * after any indentation: ATX headings `#`…`######`, `>` quotes, bullets `- ` `* ` `+ `, ordered `1. `
 * `1) `. Whole lines: thematic breaks (`---`, `***`, `___`, setext `===`), code fences (```` ``` ````,
 * `~~~`, with their info string; the code itself is filtered like other text).
 * Whitespace: a run spanning a drop becomes one space, or the line breaks of its piece with the most
 * (paragraph breaks survive), or nothing before closing punctuation (`Great 🎉!` → `Great!`):
 * `The door *creaks* opens.` → `The door opens.`. Other runs pass unchanged; the output's leading and
 * trailing whitespace is dropped. Everything else is the model's text, unchanged.
 *
 * Streaming: every decision depends on the text only, never on where it was split, so the outputs of
 * `push()`…`end()` joined equal {@link speakableText} of the whole. Held back: what could still be
 * markup (at most `maxHeldChars` + 12 chars), a trailing whitespace run, one char after `!` `\` `_`
 * `*` or a high surrogate; plain prose comes out at once.
 */
export class SpeakableFilter {
  private readonly maxHeld: number;
  /** Raw text not yet decided; `buf[0]` is at stream offset `base`. */
  private buf = '';
  private base = 0;
  private pos = 0;
  /** Raw char before `buf[0]`, for the flanking rules. */
  private lastRaw = '';
  private mode: 'text' | 'think' | 'skipLine' = 'text';
  private lineStart = true;
  private inEmoji = false;
  private ended = false;
  /** Stream offsets of a confirmed link's `](url)`, dropped when reached. */
  private skipFrom = -1;
  private skipTo = -1;
  /** Output so far in this call; whether any non-space was output. */
  private out = '';
  private started = false;
  /** The pending whitespace run: its current piece, its earlier piece with the most line breaks. */
  private ws = '';
  private best = '';
  private spansDrop = false;
  private anyWs = false;

  /** @param options.maxHeldChars longest possible markup held back before it counts as plain text (chars, default 400) */
  constructor(options: { maxHeldChars?: number } = {}) {
    const max = options.maxHeldChars ?? 400;
    if (!Number.isInteger(max) || max < 16) throw new RangeError(`maxHeldChars must be an integer ≥ 16, got ${max}`);
    this.maxHeld = max;
  }

  /** Raw characters held back now (bounded by `maxHeldChars` + 12), excluding a pending whitespace run. */
  get heldChars(): number {
    return this.buf.length - this.pos;
  }

  /**
   * Feeds a delta.
   * @returns the text now safe to speak (possibly '')
   * @throws Error after {@link end}
   */
  push(delta: string): string {
    if (this.ended) throw new Error('SpeakableFilter: push() after end()');
    this.buf += delta;
    return this.scan();
  }

  /** The stream ended: returns what is left (an unclosed direction or think block is dropped, an unclosed marker just removed). */
  end(): string {
    if (this.ended) return '';
    this.ended = true;
    return this.scan();
  }

  private scan(): string {
    while (this.pos < this.buf.length) {
      const n = this.mode === 'think' ? this.think() : this.mode === 'skipLine' ? this.skipLine()
        : this.lineStart ? this.lineMarker() : this.inline();
      if (n < 0) break;
      this.pos += n;
    }
    if (this.pos > 0) {
      this.lastRaw = this.buf[this.pos - 1]!;
      this.buf = this.buf.slice(this.pos);
      this.base += this.pos;
      this.pos = 0;
    }
    const out = this.out;
    this.out = '';
    return out;
  }

  /** Char at buffer index `i`; '' past the end. */
  private at(i: number): string {
    return this.buf.charAt(i);
  }

  /** Length of the run of `c` from `i`, or -1 when it reaches the buffer's end before the stream's. */
  private run(i: number, c: string): number {
    let j = i;
    while (this.buf[j] === c) j++;
    return j === this.buf.length && !this.ended ? -1 : j - i;
  }

  /** A marker or block at a line start (after indentation); 0 with `lineStart` cleared when none. */
  private lineMarker(): number {
    const i = this.pos;
    const c = this.at(i);
    if (c === ' ' || c === '\t') return this.keep(c);
    if (c === '>') return this.drop(1);
    if (c === '#') {
      const k = this.run(i, '#');
      if (k < 0) return -1;
      if (k <= 6 && /^[ \t\r\n]?$/.test(this.at(i + k))) return this.lineDone(this.drop(k));
    } else if ('-*_=+'.includes(c)) {
      const end = this.ruleLineEnd(i, c);
      if (end === -1) return -1;
      if (end > 0) return this.lineDone(this.drop(end - i));
      const next = this.at(i + 1);
      if (next === '' && !this.ended) return -1;
      if ('-*+'.includes(c) && (next === ' ' || next === '\t')) return this.lineDone(this.drop(1));
    } else if (c >= '0' && c <= '9') {
      let j = i;
      while (j - i < 10 && this.at(j) >= '0' && this.at(j) <= '9') j++;
      if (j + 1 >= this.buf.length && !this.ended) return -1;
      if (j - i <= 9 && (this.at(j) === '.' || this.at(j) === ')') && /^[ \t]$/.test(this.at(j + 1))) return this.lineDone(this.drop(j + 1 - i));
    } else if (c === '`' || c === '~') {
      const k = this.run(i, c);
      if (k < 0 && this.buf.length - i < 3) return -1;
      if (k < 0 || k >= 3) {
        this.mode = 'skipLine';
        return this.lineDone(this.drop(1));
      }
    }
    this.lineStart = false;
    return 0;
  }

  private lineDone(n: number): number {
    this.lineStart = false;
    return n;
  }

  /** Buffer index of the line end when the line from `i` is a thematic break / setext underline of `c`; 0 when not; -1 to wait. */
  private ruleLineEnd(i: number, c: string): number {
    if (c === '+') return 0;
    let count = 0;
    for (let j = i; ; j++) {
      if (j - i > this.maxHeld) return 0;
      const d = this.at(j);
      if (d === '' && !this.ended) return -1;
      if (d === '' || d === '\n' || d === '\r') return count >= 3 ? j : 0;
      if (d === c) count++;
      else if (d !== ' ' && d !== '\t') return 0;
    }
  }

  /** Text in a line, after any line-start marker. */
  private inline(): number {
    const i = this.pos;
    if (this.skipFrom >= 0 && this.base + i >= this.skipFrom) {
      const n = Math.max(0, this.skipTo - this.base - i);
      this.skipFrom = this.skipTo = -1;
      return this.drop(n);
    }
    const c = this.at(i);
    const next = this.at(i + 1);
    const needNext = next === '' && !this.ended;
    switch (c) {
      case '\n':
        this.lineStart = true;
        return this.keep(c);
      case '`':
        return this.drop(1);
      case '\\':
        if (needNext) return -1;
        return /^[!-\/:-@[-`{-~]$/.test(next) ? this.drop(1) + this.keep(next) : this.keep(c);
      case '_': {
        const k = this.run(i, '_');
        if (k < 0) return -1;
        const intraword = isAlnum(i > 0 ? this.at(i - 1) : this.lastRaw) && isAlnum(this.at(i + k));
        return intraword ? this.keep('_'.repeat(k)) : this.drop(k);
      }
      case '*':
        return this.asterisks(i);
      case '<':
        return this.tag(i);
      case '!': {
        if (needNext) return -1;
        const image = next === '[' ? this.link(i + 1) : 0;
        return image < 0 ? -1 : image > 0 ? this.drop(image + 1 - i) : this.keep(c);
      }
      case '[': {
        const link = this.link(i);
        if (link < 0) return -1;
        if (link === 0) return this.keep(c);
        this.skipFrom = this.base + this.buf.indexOf(']', i);
        this.skipTo = this.base + link + 1;
        return this.drop(1);
      }
      default:
        return this.plain(c);
    }
  }

  /** A run of `*` at `i`: bold markers, a stage direction, or a plain `*`. */
  private asterisks(i: number): number {
    const k = this.run(i, '*');
    if (k < 0) return -1;
    if (k > 1) return this.drop(k);
    const next = this.at(i + 1);
    if (next === '' || isSpace(next) || isAlnum(i > 0 ? this.at(i - 1) : this.lastRaw)) return this.keep('*');
    for (let j = i + 1, blankLine = false; ; j++) {
      if (j - i > this.maxHeld) return this.keep('*');
      if (j >= this.buf.length) return this.ended ? this.drop(j - i) : -1;
      const d = this.buf[j]!;
      if (d === '\n') {
        if (blankLine) return this.keep('*');
        blankLine = true;
      } else if (!isSpace(d)) blankLine = false;
      if (d !== '*') continue;
      const r = this.run(j, '*');
      if (r < 0) return -1;
      if (r !== 2 && !isSpace(this.at(j - 1))) return this.drop(j + r - i);
      j += r - 1;
    }
  }

  /** An HTML-like tag at `i` (dropped; `<think>` starts a think block) or a plain `<`. */
  private tag(i: number): number {
    const m = /^<(\/?)([A-Za-z][A-Za-z0-9:-]*)([\s/][^<>\n]*)?(>)?/.exec(this.buf.slice(i, i + this.maxHeld + 1));
    const whole = m !== null && m[4] !== undefined;
    if (!whole && !this.ended && this.buf.length - i <= this.maxHeld
      && (m ? m.index + m[0].length === this.buf.length - i : /^<\/?$/.test(this.buf.slice(i)))) return -1;
    if (!whole) return this.keep('<');
    const name = m[2]!.toLowerCase();
    if (m[1] === '' && (m[3] ?? '').trim() === '' && (name === 'think' || name === 'thinking')) this.mode = 'think';
    return this.drop(m[0].length);
  }

  /** Buffer index of the `)` closing a link `[text](url)` at `i`; 0 when none; -1 to wait. */
  private link(i: number): number {
    let j = i + 1;
    for (let close = false; ; j++) {
      if (j - i > this.maxHeld) return 0;
      const d = this.at(j);
      if (d === '') return this.ended ? 0 : -1;
      if (d === '\n' || (!close && d === '[')) return 0;
      if (close && d === ')') return j;
      if (!close && d === ']') {
        if (this.at(j + 1) === '') return this.ended ? 0 : -1;
        if (this.at(j + 1) !== '(') return 0;
        close = true;
        j++;
      }
    }
  }

  /** Inside a think block: discard up to a closing tag, holding only a possible partial `</thinking>`. */
  private think(): number {
    const i = this.pos;
    const lt = this.buf.indexOf('<', i);
    if (lt < 0) return this.buf.length - i;
    if (lt > i) return lt - i;
    const head = this.buf.slice(i, i + 11).toLowerCase();
    for (const closer of ['</think>', '</thinking>']) {
      if (head.startsWith(closer)) {
        this.mode = 'text';
        return closer.length;
      }
    }
    if (!this.ended && head.length < 11 && ('</thinking>'.startsWith(head))) return -1;
    return 1;
  }

  /** Rest of a code fence line: discarded up to the line break. */
  private skipLine(): number {
    const nl = this.buf.indexOf('\n', this.pos);
    if (nl < 0) return this.buf.length - this.pos;
    this.mode = 'text';
    return nl - this.pos;
  }

  /** One code point of text: kept, or dropped when it is emoji or a character {@link textProblem} rejects. */
  private plain(c: string): number {
    const code = c.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdbff && this.pos + 1 >= this.buf.length && !this.ended) return -1;
    const cp = String.fromCodePoint(this.buf.codePointAt(this.pos)!);
    const emoji = EMOJI.test(cp) || (this.inEmoji && cp === '\u200D');
    this.inEmoji = emoji;
    return emoji || textProblem(cp) !== null ? this.drop(cp.length) : this.keep(cp);
  }

  /** Emits kept raw text (`s` is what consumed chars stand for); returns its length consumed. */
  private keep(s: string): number {
    for (const ch of s) {
      if (isSpace(ch)) {
        if (this.ws.length < this.maxHeld) this.ws += ch;
        this.anyWs = true;
        continue;
      }
      if (this.started) {
        if (!this.spansDrop) this.out += this.ws;
        else {
          const piece = lineBreaks(this.ws) > lineBreaks(this.best) ? this.ws : this.best;
          this.out += lineBreaks(piece) > 0 ? piece.replace(/[^\r\n\u2028\u2029]/g, '')
            : this.anyWs && !(this.ws === '' && CLOSING.test(ch)) ? ' ' : '';
        }
      }
      this.out += ch;
      this.started = true;
      this.ws = this.best = '';
      this.spansDrop = this.anyWs = false;
    }
    return s.length;
  }

  /** Drops `n` raw chars: the pending whitespace run now spans a drop. */
  private drop(n: number): number {
    if (lineBreaks(this.ws) > lineBreaks(this.best)) this.best = this.ws;
    this.ws = '';
    this.spansDrop = true;
    return n;
  }
}

/** One-shot {@link SpeakableFilter}: the same result as pushing the whole text and ending. */
export function speakableText(text: string): string {
  const filter = new SpeakableFilter();
  return filter.push(text) + filter.end();
}

/** Emoji code points (UTS #51): pictographs, flag letters, skin tones, VS15/VS16, keycap, tag characters. */
const EMOJI = /^[\p{Extended_Pictographic}\p{Regional_Indicator}\p{Emoji_Modifier}\uFE0E\uFE0F\u20E3\u{E0020}-\u{E007F}]$/u;

/** Punctuation that attaches to the word before it: no space is left before it where something was dropped. */
const CLOSING = /^[.,;:!?…)\]}”’»]$/;

const isAlnum = (c: string): boolean => /^[\p{L}\p{N}]$/u.test(c);
const isSpace = (c: string): boolean => /^\s$/.test(c);
const lineBreaks = (s: string): number => s.split(/[\n\u2028\u2029]/).length - 1;
