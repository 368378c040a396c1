import { expect } from 'chai';
import { SpeakableFilter, speakableText } from '../../../server/text/speakable-filter.ts';
import { DIALOGUE_EN, PARAGRAPHS_PT, randomDeltas, seededRandom } from './narration-corpus.ts';

/** [model output, what the narrator says]: one row per rule, then mixed answers. */
const CASES: ReadonlyArray<readonly [string, string]> = [
  ['The door *creaks* opens.', 'The door opens.'],
  ['*sighs* Fine.', 'Fine.'],
  ['He paused.*sighs* Then he spoke.', 'He paused. Then he spoke.'],
  ['The door opens *slowly*.', 'The door opens.'],
  ['*waves **wildly*** Hello!', 'Hello!'],
  ['**Bold** and __strong__ and _soft_ words.', 'Bold and strong and soft words.'],
  ['***Both*** at once.', 'Both at once.'],
  ['snake_case and file__name stay.', 'snake_case and file__name stay.'],
  ['Multiply: 3 * 4 = 12, and 5*3 = 15.', 'Multiply: 3 * 4 = 12, and 5*3 = 15.'],
  ['A star * alone.', 'A star * alone.'],
  ['Price *5 gold\n\nNext paragraph.*', 'Price *5 gold\n\nNext paragraph.*'],
  ['\\*not a direction\\* here', '*not a direction* here'],
  ['<think>The user wants a tavern. *plan*</think>\n\nThe tavern falls silent.', 'The tavern falls silent.'],
  ['<thinking>\nstep 1\n</thinking>Go.', 'Go.'],
  ['<THINK>upper</THINK>Case.', 'Case.'],
  ['A <b>bold</b> <span class="x">word</span>.<br/>', 'A bold word.'],
  ['5 < 6, <3 and a<b.', '5 < 6, <3 and a<b.'],
  ['# The Crypt\n\nCold air.', 'The Crypt\n\nCold air.'],
  ['### Part 2\nText ##', 'Part 2\nText ##'],
  ['#hashtag and ####### seven', '#hashtag and ####### seven'],
  ['> "Halt!" says the guard.\n> > Nested.', '"Halt!" says the guard.\nNested.'],
  ['You see:\n- a sword\n* a shield\n+ a map', 'You see:\na sword\na shield\na map'],
  ['Steps:\n1. open\n2) enter\n  10. look', 'Steps:\nopen\nenter\nlook'],
  ['3 goblins attack.\n1.5 gold left.', '3 goblins attack.\n1.5 gold left.'],
  ['Before.\n\n---\n\nAfter.\n* * *\nEnd.', 'Before.\n\nAfter.\nEnd.'],
  ['Title\n=====\nBody', 'Title\nBody'],
  ['-5 degrees and --dash', '-5 degrees and --dash'],
  ['```text\nThe runes glow.\n```\nDone.', 'The runes glow.\nDone.'],
  ['~~~\nfenced\n~~~', 'fenced'],
  ['Say `open sesame` now.', 'Say open sesame now.'],
  ['See [the old map](https://example.com/map "Map") here.', 'See the old map here.'],
  ['Look ![a dragon](dragon.png) there.', 'Look there.'],
  ['A [bracket] stays, and [this](too.', 'A [bracket] stays, and [this](too.'],
  ['Run! Now!', 'Run! Now!'],
  ['Great 🎉 job 👍🏽! 👨‍👩‍👧 and 🇧🇷 flag.', 'Great job! and flag.'],
  ['Press 1️⃣ now ✨', 'Press 1 now'],
  ['a\u0000b \u202Eevil\u202C c\u0007', 'ab evil c'],
  ['lone \uD800 surrogate', 'lone surrogate'],
  ['Text\n\n*sighs*\n\nMore text.', 'Text\n\nMore text.'],
  ['  \n\n  Leading space.  \n', 'Leading space.'],
  ['Keep  two  spaces\tand tab.', 'Keep  two  spaces\tand tab.'],
  ['Windows lines.\r\n- item\r\n# Head\r\n', 'Windows lines.\r\nitem\r\nHead'],
  ['Olá, *suspira* você está aí? A ação começa: **coragem**, não é?', 'Olá, você está aí? A ação começa: coragem, não é?'],
  ['"Who goes there?" *draws sword* "Speak!"', '"Who goes there?" "Speak!"'],
  ['“Quem é você?” — *ri* — pergunta ele.', '“Quem é você?” — — pergunta ele.'],
  ['unclosed *stage direction', 'unclosed'],
  ['unclosed **bold and `code', 'unclosed bold and code'],
  ['<think>never closed', ''],
  ['*', '*'],
  ['', ''],
  [DIALOGUE_EN, DIALOGUE_EN],
  [PARAGRAPHS_PT, PARAGRAPHS_PT],
  [`<think>\nplan\n</think>\n\n## The Gate\n\n*thunder rolls* ${DIALOGUE_EN} 🐉\n\n- **Borin**: "Run!"\n- _Vex_: [see](x)\n\n${PARAGRAPHS_PT}`,
    `The Gate\n\n${DIALOGUE_EN}\n\nBorin: "Run!"\nVex: see\n\n${PARAGRAPHS_PT}`],
];

function streamed(deltas: readonly string[], options?: { maxHeldChars?: number }): string {
  const filter = new SpeakableFilter(options);
  return deltas.map((d) => filter.push(d)).join('') + filter.end();
}

describe('SpeakableFilter', () => {
  for (const [input, expected] of CASES) {
    it(`makes ${JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input)} speakable`, () => {
      expect(speakableText(input)).to.equal(expected);
    });
  }

  it('gives the one-shot result for 200+ seeded random splittings of every case', () => {
    const rand = seededRandom(14);
    for (const [input, expected] of CASES) {
      for (let k = 0; k < 200; k++) {
        const deltas = randomDeltas(input, rand, 1 + Math.floor(rand() * 12));
        const out = streamed(deltas);
        if (out !== expected) expect.fail(`split ${JSON.stringify(deltas)} gave ${JSON.stringify(out)}`);
      }
      expect(streamed([...input])).to.equal(expected);
    }
  });

  it('gives the one-shot result for seeded random markup soup, however split', () => {
    const PARTS = ['*', '**', '_', '__', '`', '```', '~~~', '\\', '<think>', '</think>', '</thi', '<b>', '<', '>', '[', '](', ')', '![',
      '!', '#', '## ', '- ', '---', '1. ', '> ', '\n', '\n\n', ' ', '  ', 'word', 'é', '5', '🎉', '\u200D', '\uD83D', '\u0000', '.', '"'];
    const rand = seededRandom(1414);
    for (let k = 0; k < 300; k++) {
      let text = '';
      for (let n = Math.floor(rand() * 60); n > 0; n--) text += PARTS[Math.floor(rand() * PARTS.length)];
      const whole = speakableText(text);
      for (let t = 0; t < 5; t++) {
        const deltas = randomDeltas(text, rand, 1 + Math.floor(rand() * 8));
        const out = streamed(deltas, {});
        if (out !== whole) expect.fail(`split ${JSON.stringify(deltas)} gave ${JSON.stringify(out)}, whole ${JSON.stringify(whole)}`);
      }
      const small = new SpeakableFilter({ maxHeldChars: 16 });
      const once = small.push(text) + small.end();
      expect(streamed([...text], { maxHeldChars: 16 })).to.equal(once);
    }
  });

  it('gives the same result split at every UTF-16 unit, surrogate pairs included', () => {
    const text = 'A 🐉 *roars*! Coração 👍🏽.';
    expect(streamed(text.split(''))).to.equal('A! Coração.');
  });

  it('holds back at most a character or two of plain prose', () => {
    const filter = new SpeakableFilter();
    const out = filter.push('The tavern falls silent. ');
    expect(out.length).to.be.at.least('The tavern falls silent. '.length - 2);
    expect('The tavern falls silent. '.startsWith(out)).to.equal(true);
    expect(filter.push('Mãe, olhe: 3 + 4.')).to.equal(' Mãe, olhe: 3 + 4.');
  });

  it('drops a 100 000-char think block while holding nothing of it', () => {
    const filter = new SpeakableFilter();
    let out = filter.push('Hi. <think>');
    const step = 'hmm, *maybe* <b>a</b> </thin ';
    for (let n = 0; n < 100_000; n += step.length) {
      out += filter.push(step);
      expect(filter.heldChars).to.be.at.most('</thinking>'.length);
    }
    out += filter.push('</think> Go.') + filter.end();
    expect(out).to.equal('Hi. Go.');
  });

  it('drops a think block fed in one 100 000-char delta, leaving nothing held', () => {
    const filter = new SpeakableFilter();
    expect(filter.push(`<think>${'x'.repeat(100_000)}`)).to.equal('');
    expect(filter.heldChars).to.equal(0);
    expect(filter.push('</think>Ok.') + filter.end()).to.equal('Ok.');
  });

  it('releases an unclosed * as plain text once maxHeldChars are held', () => {
    const filter = new SpeakableFilter({ maxHeldChars: 50 });
    let out = filter.push('Then *');
    for (let i = 0; i < 60; i++) {
      out += filter.push('a');
      expect(filter.heldChars).to.be.at.most(51);
    }
    expect(out).to.equal(`Then *${'a'.repeat(60)}`);
    expect(filter.end()).to.equal('');
  });

  it('drops a stage direction that closes within maxHeldChars however it is split', () => {
    const direction = `*${'b'.repeat(48)}*`;
    expect(streamed([`x ${direction} y`], { maxHeldChars: 50 })).to.equal('x y');
    expect(streamed([...`x ${direction} y`], { maxHeldChars: 50 })).to.equal('x y');
    expect(streamed([`x *${'b'.repeat(60)}* y`], { maxHeldChars: 50 })).to.equal(`x *${'b'.repeat(60)}* y`);
  });

  it('rejects a maxHeldChars too small to hold a closing think tag', () => {
    expect(() => new SpeakableFilter({ maxHeldChars: 4 })).to.throw(RangeError, /maxHeldChars/);
  });

  it('refuses a push after end', () => {
    const filter = new SpeakableFilter();
    filter.end();
    expect(() => filter.push('more')).to.throw(/after end/);
  });
});
