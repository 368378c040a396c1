import { expect } from 'chai';
import { NarrationShaper, EDGE_GUARD_MS } from '../../../server/synthesis/narration-shaper.ts';
import { pauseKeyOf, quoteAtSeam } from '../../../server/text/pause-keys.ts';
import type { TextChunk } from '../../../server/text/chunker-options.ts';

const RATE = 22_050;
const ms = (n: number) => Math.round((n * RATE) / 1000);
const T = 0.005;

/** `lead` ms of silence, `voiced` ms of a 200 Hz tone at `amp`, `trail` ms of silence. */
function chunkAudio(lead: number, voiced: number, trail: number, amp = 0.5): Float32Array {
  const x = new Float32Array(ms(lead) + ms(voiced) + ms(trail));
  for (let i = 0; i < ms(voiced); i++) x[ms(lead) + i] = amp * Math.sin((2 * Math.PI * 200 * i) / RATE + 0.3);
  return x;
}

/** Splits `x` into blocks of the given sizes, cycling. */
function blocks(x: Float32Array, sizes: number[]): Float32Array[] {
  const out: Float32Array[] = [];
  for (let at = 0, k = 0; at < x.length; k++) {
    const n = Math.min(sizes[k % sizes.length]!, x.length - at);
    out.push(x.slice(at, at + n));
    at += n;
  }
  return out;
}

function shape(chunks: Float32Array[][], pauses: number[], opts: Partial<ConstructorParameters<typeof NarrationShaper>[0]> = {}) {
  const out: { chunk: number; samples: Float32Array }[] = [];
  const shaper = new NarrationShaper({ sampleRate: RATE, seams: true, silenceThreshold: T, gain: 1, ceilingDbtp: null, meter: true, ...opts }, (chunk, samples) => out.push({ chunk, samples }));
  chunks.forEach((bs, i) => {
    for (const b of bs) shaper.push(i, b);
    shaper.endChunk(i, pauses[i] ?? 0);
  });
  shaper.end();
  const all = new Float32Array(out.reduce((n, o) => n + o.samples.length, 0));
  let at = 0;
  const chunkStarts: number[] = [];
  for (const o of out) {
    if (chunkStarts.length === o.chunk) chunkStarts.push(at);
    all.set(o.samples, at);
    at += o.samples.length;
  }
  return { all, out, chunkStarts, shaper };
}

function audibleRuns(x: Float32Array, t: number): { start: number; end: number }[] {
  const runs: { start: number; end: number }[] = [];
  let gapFrom = -1;
  let cur: { start: number; end: number } | null = null;
  for (let i = 0; i < x.length; i++) {
    if (Math.abs(x[i]!) > t) {
      if (!cur || (gapFrom >= 0 && i - gapFrom > ms(30))) {
        cur = { start: i, end: i + 1 };
        runs.push(cur);
      }
      cur.end = i + 1;
      gapFrom = -1;
    } else if (cur && gapFrom < 0) gapFrom = i;
  }
  return runs;
}

describe('NarrationShaper (issue 12: seams, gain, limiter)', () => {
  it('replaces each chunk\'s own edge silence by the given pause between audible samples, keeping a guard for soft edges', () => {
    const a = chunkAudio(80, 500, 120);
    const b = chunkAudio(60, 400, 200);
    const { all, chunkStarts } = shape([blocks(a, [2205]), blocks(b, [2205])], [300]);
    const runs = audibleRuns(all, T);
    expect(runs).to.have.length(2);
    // Leading silence trimmed to the guard; the gap between the chunks' audible samples is the pause.
    expect(runs[0]!.start).to.be.within(ms(EDGE_GUARD_MS) - 2, ms(EDGE_GUARD_MS) + 2);
    expect((runs[1]!.start - runs[0]!.end) / RATE * 1000).to.be.closeTo(300, 2);
    // The pause belongs to chunk 0: chunk 1 (its caption) starts with its own guard before its sound.
    expect(runs[1]!.start - chunkStarts[1]!).to.be.within(ms(EDGE_GUARD_MS) - 2, ms(EDGE_GUARD_MS) + 2);
    // The narration ends a guard after its last audible sample.
    expect(all.length - runs[1]!.end).to.be.at.most(ms(EDGE_GUARD_MS) + 1);
  });

  it('gives the same samples whatever the block sizes, and passes a pause inside a chunk untouched', () => {
    const a = chunkAudio(50, 300, 0);
    const inner = new Float32Array(ms(250)); // a pause inside the chunk, as the engine made it
    const withPause = new Float32Array(a.length + inner.length + a.length);
    withPause.set(a, 0);
    withPause.set(a, a.length + inner.length);
    const ref = shape([blocks(withPause, [withPause.length])], [0]).all;
    for (const sizes of [[1], [7, 300, 2], [441], [2205, 13]]) {
      const got = shape([blocks(withPause, sizes)], [0]).all;
      expect(got.length, `blocks of ${sizes}`).to.equal(ref.length);
      for (let i = 0; i < ref.length; i++) if (got[i] !== ref[i]) expect.fail(`sample ${i} differs with blocks of ${sizes}`);
    }
    const runs = audibleRuns(ref, T);
    expect(runs).to.have.length(2);
    expect(((runs[1]!.start - runs[0]!.end) * 1000) / RATE).to.be.closeTo(250 + 50, 3); // the inner pause + the second copy's lead
  });

  it('fades every chunk edge so a chunk cut mid-voicing (a read-ahead cut) ends without a click', () => {
    // Chunk 0 ends at full amplitude (no trailing silence); chunk 1 starts at full amplitude.
    const a = new Float32Array(ms(200)).fill(0.8);
    const b = new Float32Array(ms(200)).fill(-0.8);
    const { all } = shape([[a], [b]], [0]);
    let maxStep = 0;
    for (let i = 1; i < all.length; i++) maxStep = Math.max(maxStep, Math.abs(all[i]! - all[i - 1]!));
    expect(maxStep).to.be.below(0.05);
    expect(all[0]).to.equal(0);
    expect(all[all.length - 1]).to.equal(0);
  });

  it('with seams off keeps every sample (join fades only) and inserts no pause', () => {
    const a = chunkAudio(80, 300, 120);
    const b = chunkAudio(60, 300, 100);
    const { all } = shape([blocks(a, [500]), blocks(b, [500])], [300], { seams: false });
    expect(all.length).to.equal(a.length + b.length);
  });

  it('applies the narration\'s gain, and holds true peaks under the ceiling with the limiter', () => {
    const quiet = shape([blocks(chunkAudio(20, 1000, 20, 0.3), [441])], [0], { gain: 10 ** (6 / 20), ceilingDbtp: -1 }).shaper;
    expect(quiet.outputMeter!.integratedLufs() - quiet.inputMeter!.integratedLufs()).to.be.closeTo(6, 0.05);
    const { all } = shape([blocks(chunkAudio(20, 1000, 20, 0.9), [441])], [0], { gain: 10 ** (6 / 20), ceilingDbtp: -1 });
    let peak = 0;
    for (const v of all) peak = Math.max(peak, Math.abs(v));
    expect(20 * Math.log10(peak)).to.be.at.most(-1);
  });

  it('sends nothing for a chunk that is all silence, and no pause after it', () => {
    const { all } = shape([[new Float32Array(ms(300))], [chunkAudio(0, 200, 0)]], [400]);
    expect(audibleRuns(all, T)).to.have.length(1);
    expect(all.length).to.be.below(ms(200) + ms(2 * EDGE_GUARD_MS) + 5);
  });
});

describe('pauseKeyOf (which one-call pause a seam gets)', () => {
  it('keys a chunk by its last mark, past closing quotes, and a cut without one by its kind', () => {
    const key = (text: string, boundary: TextChunk['boundary']) => pauseKeyOf({ text, boundary });
    expect(key('The gate is open. ', 'sentence')).to.equal('period');
    expect(key('"Run!" ', 'sentence')).to.equal('exclamation');
    expect(key('Who is there?”\n\n', 'sentence')).to.equal('question');
    expect(key('The hall is dark; ', 'clause')).to.equal('semicolon');
    expect(key('He waits… ', 'sentence')).to.equal('semicolon');
    expect(key('When it opens, ', 'clause')).to.equal('comma');
    expect(key('A line\n', 'clause')).to.equal('comma');
    expect(key('The hall grows dark ', 'conjunction')).to.equal('conjunction');
    expect(key('beside the heavy ', 'forced')).to.equal('forced');
    expect(key('The end.', 'end')).to.equal(null);
  });

  it('sees a quotation mark at a seam on either side (espeak pauses ~110 ms longer there), not an apostrophe', () => {
    expect(quoteAtSeam({ text: '"You want the cellar." ' }, { text: 'Behind her, ' })).to.equal(true);
    expect(quoteAtSeam({ text: 'They drank all evening. ' }, { text: '“You want it?” ' })).to.equal(true);
    expect(quoteAtSeam({ text: 'They drank all evening. ' }, { text: "'Tis late. " })).to.equal(false);
    expect(quoteAtSeam({ text: 'They drank all evening. ' }, undefined)).to.equal(false);
  });
});
