import 'reflect-metadata';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchPipeline } from '../../bench/pipeline.ts';
import { measureTtfa } from '../../bench/scenarios/ttfa.ts';
import { measureOverhead } from '../../bench/scenarios/overhead.ts';
import { measureCancel } from '../../bench/scenarios/cancel.ts';
import { measureJitter } from '../../bench/scenarios/jitter.ts';
import { measureRooms } from '../../bench/scenarios/rooms.ts';

/** The scenarios on the real pipeline (espeak-ng WASM, playout thread), a few iterations each; no timed assertions. */
describe('bench scenarios on the real pipeline', function () {
  this.timeout(60_000);
  let p: BenchPipeline;
  let workDir: string;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'bench-test-'));
    p = new BenchPipeline(workDir);
  });
  after(async () => {
    await p.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('measures the real speaking rate of each engine', async () => {
    // Source characters per second of audio: the instant engine speaks 15 chars/s of each chunk's spoken text,
    // and the spaces at the ~150-char passage's one or two chunk seams are not spoken (≤ 1.5 %, 0.2 chars/s).
    expect(await p.charsPerSecond('instant')).to.be.closeTo(15, 0.25);
    expect(await p.charsPerSecond('espeak')).to.be.within(5, 40);
  });

  it('measures one TTFA per narration', async () => {
    const r = await measureTtfa(p, 2);
    expect(r.ttfaMs.n).to.equal(2);
    expect(r.ttfaMs.p50).to.be.greaterThan(0);
  });

  it('splits the instant engine\'s TTFA into slot wait (< one 20 ms slot) and overhead', async () => {
    const r = await measureOverhead(p, 3);
    expect(r.overheadMs.n).to.equal(3);
    expect(r.slotWaitMs.max).to.be.at.least(0).and.below(20);
    expect(r.missedSlot).to.equal(r.missedSlotLeadMs.length);
  });

  it('reads the cancel latency of every narration cancelled mid-playback, as reported and as the sink saw it', async () => {
    const r = await measureCancel(p, 2);
    expect(r.endedBeforeCancel).to.equal(0);
    expect(r.reportedMs.n).to.equal(2);
    expect(r.seenBySinkMs.n).to.equal(2);
  });

  it('captures every frame of a narrated window, in seq order, with stalls run', async () => {
    const r = await measureJitter(p, { seconds: 1.5, stallMs: 50 });
    expect(r.missingSeqs).to.equal(0);
    expect(r.narrationFrames).to.be.greaterThan(10);
    expect(r.stalls).to.be.greaterThan(0);
  });

  it('steps rooms and stops stepping at the end of the steps', async () => {
    const r = await measureRooms(p, 'instant', { steps: [1, 2], seconds: 1, budgetMs: 30_000 });
    expect(r.steps.map((s) => s.rooms)).to.deep.equal([1, 2]);
    expect(r.steps[1]!.meanAudioMs).to.be.greaterThan(500);
  });
});
