import { expect } from 'chai';
import { soakFigures, type MemorySample, type SoakResult } from '../../bench/scenarios/soak.ts';
import type { NarrationReport } from '../../server/narration/narration.ts';

const mem = (atS: number, rssMiB: number): MemorySample => ({ atS, rssMiB, heapUsedMiB: 40, externalMiB: 10 });

function report(ttfaMs: number, underruns = 0): NarrationReport {
  return {
    id: 'n', trigger: 'dm:text', text: 'x', chunks: 1, ttfaMs, firstBlockMs: ttfaMs, audioMs: 1000, synthesisMs: 20, rtf: 0.02,
    underruns, gapMs: 0, cancelled: false, cancelLatencyMs: null, paused: false, loudnessLufs: -16, gainDb: 5, error: null,
  };
}

function result(over: Partial<SoakResult> = {}): SoakResult {
  return {
    options: { rooms: 8, minutes: 1, sampleMs: 30_000, engine: 'espeak' },
    baseline: mem(0, 300), samples: [mem(0, 290), mem(30, 310), mem(60, 320)], warm: mem(30, 310), rssGrowthPct: 3.2,
    afterLeave: mem(80, 320), afterLeavePct: 6.7, reportsHeldAfterLeave: 0,
    clients: {
      reports: Array.from({ length: 99 }, (_, i) => report(10 + i)), churnReports: [report(500, 2)], churnedRooms: 1,
      healthMs: [1, 2, 3, 250], healthFailures: 0,
      flood: { sessions: 3, messages: 900, closeCodes: { 4429: 2, 4002: 1 }, maxErrorsPerSession: 31 },
      listener: { frames: 3000, lateOver100: 2, maxGapMs: 130 }, refused: {},
    },
    ...over,
  };
}

describe('soak figures', () => {
  it('sums underruns over the soak and churned rooms and judges RSS against the issue\'s targets', () => {
    const figures = Object.fromEntries(soakFigures(result()).map((f) => [f.id, f]));
    expect(figures['soak.underruns']).to.include({ value: 2, pass: false, samples: 100 });
    expect(figures['soak.rss.growth']).to.include({ value: 3.2, pass: true });
    expect(figures['soak.rss.afterLeave']).to.include({ value: 6.7, pass: true });
    expect(figures['soak.ttfa.p99']).to.include({ value: 108, pass: null }); // nearest rank: the 99th of 100
    expect(figures['soak.health.p99']).to.include({ value: 250 });
    expect(figures['soak.flood.maxErrors']!.note).to.contain('4429×2');
  });

  it('fails RSS growth over 10 % and RSS after leaving over 10 % above the baseline', () => {
    const figures = Object.fromEntries(soakFigures(result({ rssGrowthPct: 12, afterLeavePct: 10.5 })).map((f) => [f.id, f]));
    expect(figures['soak.rss.growth']!.pass).to.equal(false);
    expect(figures['soak.rss.afterLeave']!.pass).to.equal(false);
  });
});
