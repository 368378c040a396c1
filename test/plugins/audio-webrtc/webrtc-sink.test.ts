import { expect } from 'chai';
import { pino } from 'pino';
import { RoomOpusEncoder } from '../../../plugins/audio-webrtc/room-opus-encoder.ts';
import { WebRtcSink } from '../../../plugins/audio-webrtc/webrtc-sink.ts';
import type { FromSink } from '../../../plugins/audio-webrtc/signaling.ts';

const log = pino({ level: 'silent' });
const frame = (seq: number) => ({ roomId: 'r1', seq, samples: new Int16Array(441), sampleRate: 22_050, narrationId: null, generation: 0, timeMs: 0 });

describe('WebRtcSink without listeners', () => {
  it('builds no encoder (its WASM heaps) until the first join, then builds exactly one', async function () {
    this.timeout(20_000);
    let built = 0;
    const posted: FromSink[] = [];
    const sink = new WebRtcSink('r1', async () => (built++, RoomOpusEncoder.create(22_050, 32_000)), [], (m) => posted.push(m), log);
    for (let i = 0; i < 100; i++) sink.write(frame(i));
    expect(built).to.equal(0);
    expect(sink.stats().framesEncoded).to.equal(0);
    await sink.join('s1');
    await sink.join('s2');
    expect(built).to.equal(1);
    expect(posted.filter((m) => m.kind === 'offer').map((m) => m.sessionId)).to.deep.equal(['s1', 's2']);
    sink.write(frame(100));
    expect(sink.stats().framesEncoded).to.equal(1);
    await sink.close();
  });
});
