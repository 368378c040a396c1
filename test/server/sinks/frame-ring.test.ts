import { expect } from 'chai';
import { FrameRing, MAX_NARRATION_ID_BYTES } from '../../../server/sinks/frame-ring.ts';
import type { AudioFrame } from '../../../server/sinks/audio-sink.ts';

const SAMPLES = 441;

const frame = (seq: number, narrationId: string | null = seq % 2 ? `narration-${seq % 4}` : null): AudioFrame => ({
  roomId: 'r1', seq, sampleRate: 22_050, narrationId, generation: seq >> 3, timeMs: 1_000 + seq * 20 + 0.25,
  samples: Int16Array.from({ length: SAMPLES }, (_, i) => ((seq * 7 + i) % 4000) - 2000),
});

/** The consumer end, as a sink worker opens it: a second FrameRing over the same buffer. */
const consumerOf = (ring: FrameRing) => new FrameRing(ring.shape);

describe('FrameRing', () => {
  it('hands frames over in order with every field and sample intact', () => {
    const producer = FrameRing.create('r1', 22_050, SAMPLES, 8);
    const consumer = consumerOf(producer);
    for (let seq = 0; seq < 5; seq++) expect(producer.push(frame(seq), 1_000 + seq * 20)).to.equal(true);
    expect(consumer.pending).to.equal(5);
    for (let seq = 0; seq < 5; seq++) {
      const got = consumer.pop()!;
      const want = frame(seq);
      expect(got.dueMs).to.equal(1_000 + seq * 20);
      expect({ ...got.frame, samples: [...got.frame.samples] }).to.deep.equal({ ...want, dueMs: 1_000 + seq * 20, samples: [...want.samples] });
    }
    expect(consumer.pop()).to.equal(null);
  });

  it('wraps around its slots many times without reordering or losing a frame', () => {
    const producer = FrameRing.create('r1', 22_050, SAMPLES, 4);
    const consumer = consumerOf(producer);
    let next = 0;
    for (let seq = 0; seq < 1_000; seq++) {
      expect(producer.push(frame(seq), seq)).to.equal(true);
      if (seq % 3 === 2) {
        for (let f = consumer.pop(); f; f = consumer.pop()) expect(f.frame.seq).to.equal(next++);
      }
    }
    for (let f = consumer.pop(); f; f = consumer.pop()) expect(f.frame.seq).to.equal(next++);
    expect(next).to.equal(1_000);
    expect(producer.dropped).to.equal(0);
  });

  it('drops the newest frame when full, counts it, and never overwrites a frame the consumer has not taken', () => {
    const producer = FrameRing.create('r1', 22_050, SAMPLES, 4);
    const consumer = consumerOf(producer);
    const accepted = Array.from({ length: 7 }, (_, seq) => producer.push(frame(seq), seq));
    expect(accepted).to.deep.equal([true, true, true, true, false, false, false]);
    expect(consumer.dropped).to.equal(3);
    expect(consumer.pop()!.frame.seq).to.equal(0);
    expect(producer.push(frame(7), 7)).to.equal(true); // one slot freed
    const rest: number[] = [];
    for (let f = consumer.pop(); f; f = consumer.pop()) rest.push(f.frame.seq);
    expect(rest).to.deep.equal([1, 2, 3, 7]);
  });

  it('after close, still delivers what was pending and refuses new frames without counting them as drops', () => {
    const producer = FrameRing.create('r1', 22_050, SAMPLES, 4);
    const consumer = consumerOf(producer);
    producer.push(frame(0), 0);
    producer.push(frame(1), 20);
    producer.close();
    expect(consumer.closed).to.equal(true);
    expect(producer.push(frame(2), 40)).to.equal(false);
    expect(producer.dropped).to.equal(0);
    expect([consumer.pop()!.frame.seq, consumer.pop()!.frame.seq, consumer.pop()]).to.deep.equal([0, 1, null]);
  });

  it('refuses a frame of the wrong size and an overlong narration id, naming the room', () => {
    const producer = FrameRing.create('r1', 22_050, SAMPLES, 4);
    expect(() => producer.push({ ...frame(0), samples: new Int16Array(480) }, 0)).to.throw(RangeError, /room r1: frame of 480 samples, ring holds 441/);
    expect(() => producer.push(frame(1, 'x'.repeat(MAX_NARRATION_ID_BYTES + 1)), 0)).to.throw(RangeError, /room r1: narration id longer than 64/);
    expect(producer.pending).to.equal(0);
  });

  it('rejects a capacity that is not a power of two', () => {
    expect(() => FrameRing.create('r1', 22_050, SAMPLES, 6)).to.throw(RangeError, /power of two/);
  });
});
