import { expect } from 'chai';
import { NarrationAssembler } from '../../../server/playout/narration-assembler.ts';
import { RoomPlayout } from '../../../server/playout/room-playout.ts';
import type { ChunkRoute, PlayoutEvent, ShapingParams } from '../../../server/playout/playout.ts';

const RATE = 22_050;
const UNSHAPED: ShapingParams = { seams: false, silenceThreshold: 0, gain: 1, ceilingDbtp: null, meter: false };
const tone = (ms: number, v = 0.3) => new Float32Array(Math.round((RATE * ms) / 1000)).fill(v);
const route = (narrationId: string, order: number, over: Partial<ChunkRoute> = {}): ChunkRoute => ({
  roomId: 'r', narrationId, chunkIndex: order, order, pauseAfterMs: 0, last: false, ...over,
});

/** An assembler over a real RoomPlayout whose pushes are recorded (chunk index, samples). */
function setup() {
  const events: PlayoutEvent[] = [];
  const playout = new RoomPlayout({ roomId: 'r', sampleRate: RATE, prebufferMs: 100, maxBufferedMs: 60_000 }, (e) => events.push(e));
  const pushed: Array<{ narrationId: string; chunkIndex: number; samples: number }> = [];
  const push = playout.push.bind(playout);
  playout.push = (narrationId, chunkIndex, samples, now) => {
    pushed.push({ narrationId, chunkIndex, samples: samples.length });
    push(narrationId, chunkIndex, samples, now);
  };
  const ended: string[] = [];
  const endNarration = playout.endNarration.bind(playout);
  playout.endNarration = (id, now) => {
    ended.push(id);
    endNarration(id, now);
  };
  return { assembler: new NarrationAssembler(playout, (e) => events.push(e)), pushed, ended, events, playout };
}
const total = (xs: Array<{ samples: number }>) => xs.reduce((s, x) => s + x.samples, 0);

describe('NarrationAssembler (chunk order and shaping on the playout thread, issue 13)', () => {
  it('plays chunks in order though a later chunk\'s blocks arrive first, and ends the narration once all ended', () => {
    const { assembler: a, pushed, ended } = setup();
    a.begin('n', 0);
    a.shape('n', UNSHAPED, 0);
    a.block(route('n', 1), tone(200), 0); // chunk 1 is faster
    a.endChunk(route('n', 1), 0);
    expect(pushed, 'chunk 1 waits for chunk 0').to.deep.equal([]);
    a.block(route('n', 0), tone(100), 0);
    expect(pushed.length, 'the head chunk streams at once').to.be.greaterThan(0);
    expect(pushed.every((p) => p.chunkIndex === 0)).to.equal(true);
    a.endChunk(route('n', 0), 0);
    a.end('n', 2, 0);
    expect(pushed.map((p) => p.chunkIndex)).to.deep.equal([...pushed.map((p) => p.chunkIndex)].sort((x, y) => x - y));
    expect(new Set(pushed.map((p) => p.chunkIndex))).to.deep.equal(new Set([0, 1]));
    expect(total(pushed), 'every sample, nothing added without seams').to.equal(tone(300).length);
    expect(ended).to.deep.equal(['n']);
    expect(a.size).to.equal(0);
  });

  it('holds blocks that arrive before the narration is declared or shaped (they come over another port)', () => {
    const { assembler: a, pushed } = setup();
    a.block(route('n', 0), tone(100), 0);
    a.begin('n', 0);
    expect(pushed).to.deep.equal([]);
    a.shape('n', UNSHAPED, 0);
    expect(total(pushed), 'all but the chunk\'s last 5 ms (its fade-out waits for the chunk end)').to.equal(tone(100).length - Math.round(RATE * 0.005));
  });

  it('inserts a chunk\'s pause only once it knows another chunk follows, and none after a last chunk', () => {
    const { assembler: a, pushed, ended } = setup();
    a.begin('n', 0);
    a.shape('n', { ...UNSHAPED, seams: true, silenceThreshold: 0.01 }, 0);
    a.block(route('n', 0, { pauseAfterMs: 300 }), tone(100), 0);
    a.endChunk(route('n', 0, { pauseAfterMs: 300 }), 0);
    const beforeNext = total(pushed);
    expect(beforeNext, 'the pause waits: chunk 0 may be the last').to.be.below(tone(100).length);
    a.block(route('n', 1, { pauseAfterMs: 300, last: true }), tone(100), 0);
    expect(total(pushed) - beforeNext, 'chunk 0\'s tail and its 300 ms pause, then chunk 1 streams').to.be.at.least(tone(300).length);
    a.endChunk(route('n', 1, { pauseAfterMs: 300, last: true }), 0);
    expect(ended, 'a last chunk known at submission ends the narration without waiting for end()').to.deep.equal(['n']);
    // The pause counts from the last audible sample, so its first 10 ms (the shaper's edge guard) may already be audio.
    expect(total(pushed), 'two chunks and one pause, no pause after the last').to.be.within(tone(490).length - 2, tone(500).length);
  });

  it('drops what is held for a cancelled narration and its late blocks', () => {
    const { assembler: a, pushed } = setup();
    a.begin('n', 0);
    a.block(route('n', 0), tone(100), 0);
    a.cancel(null);
    a.shape('n', UNSHAPED, 0);
    a.block(route('n', 0), tone(100), 0);
    a.endChunk(route('n', 0), 0);
    a.begin('n', 0);
    expect(pushed).to.deep.equal([]);
    expect(a.size).to.equal(0);
  });

  it('a cancel of all spares a narration whose blocks overtook its declaration (an interrupt\'s own narration)', () => {
    const { assembler: a, pushed, ended } = setup();
    a.begin('old', 0);
    a.shape('old', UNSHAPED, 0);
    // The interrupt: the main thread sends cancel(all), then begin(new); new's first block, from an
    // engine worker's port, reaches the assembly before both.
    a.block(route('new', 0, { last: true }), tone(100), 0);
    a.cancel(null);
    a.begin('new', 0);
    a.shape('new', UNSHAPED, 0);
    a.endChunk(route('new', 0, { last: true }), 0);
    expect(total(pushed)).to.equal(tone(100).length);
    expect(ended).to.deep.equal(['new']);
    a.block(route('old', 1), tone(100), 0);
    expect(total(pushed), 'the cancelled one stays dropped').to.equal(tone(100).length);
  });

  it('forgets blocks of a narration never declared after 10 s, and holds at most 60 s of them', () => {
    const { assembler: a } = setup();
    a.block(route('ghost', 0), tone(1000), 0);
    expect(a.size).to.equal(1);
    a.expire(5_000);
    expect(a.size).to.equal(1);
    a.expire(10_001);
    expect(a.size).to.equal(0);
    expect(a.droppedBlocks).to.equal(1);
    for (let i = 0; i < 70; i++) a.block(route('flood', 0), new Float32Array(24_000), 20_000);
    expect(a.droppedBlocks, 'past 60 s at 24 kHz').to.equal(1 + 10);
  });

  it('reports the narration\'s loudness when metering, before the playout ends it', () => {
    const { assembler: a, events, ended } = setup();
    a.begin('n', 0);
    a.shape('n', { ...UNSHAPED, meter: true, gain: 0.5, ceilingDbtp: -1 }, 0);
    const x = new Float32Array(RATE * 2).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / RATE));
    a.block(route('n', 0, { last: true }), x, 0);
    a.endChunk(route('n', 0, { last: true }), 0);
    const shaped = events.find((e) => e.type === 'shaped') as Extract<PlayoutEvent, { type: 'shaped' }>;
    expect(shaped.inputLufs).to.be.a('number');
    expect(shaped.outputLufs! - shaped.inputLufs!, '−6 dB of gain').to.be.closeTo(-6, 0.3);
    expect(ended).to.deep.equal(['n']);
  });
});
