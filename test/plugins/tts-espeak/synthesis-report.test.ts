import { expect } from 'chai';
import { buildReport } from '../../../plugins/tts-espeak/synthesis-report.ts';

describe('buildReport', () => {
  const chunk = { narrationId: 'n1', index: 2, text: 'x'.repeat(100), language: 'en' };
  const done = { type: 'done', id: 7, started: true, cancelled: false, samples: 22_050 * 5, blocks: 50, words: 17, startedAt: 1_000, firstBlockAt: 1_002, endedAt: 1_050 } as const;

  it('derives durations, real-time factor and queueing time from the worker clock', () => {
    const r = buildReport(7, chunk, 'en-us', 3, 990, done, 22_050);
    expect(r).to.include({ requestId: 7, narrationId: 'n1', index: 2, chars: 100, audioSeconds: 5, synthMs: 50, firstBlockMs: 2, queuedMs: 10, threadId: 3 });
    expect(r.rtf).to.be.closeTo(0.01, 1e-12);
  });

  it('leaves firstBlockMs undefined and rtf 0 when no audio came', () => {
    const r = buildReport(8, chunk, 'en-us', 3, 990, { ...done, samples: 0, blocks: 0, firstBlockAt: undefined }, 22_050);
    expect(r.firstBlockMs).to.equal(undefined);
    expect(r.rtf).to.equal(0);
  });
});
