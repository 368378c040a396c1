import { expect } from 'chai';
import { answerPayloadSchema, candidatePayloadSchema, describePayloadIssue, emptyPayloadSchema } from '../../../plugins/audio-webrtc/signaling.ts';

const why = (schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, value: unknown): string => {
  const r = schema.safeParse(value);
  expect(r.success, JSON.stringify(value)).to.equal(false);
  return describePayloadIssue(r.error as never);
};

describe('audio-webrtc signaling payloads', () => {
  it('accepts an SDP answer with an audio m-line and a trickled or final candidate', () => {
    expect(answerPayloadSchema.parse({ sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n' }).sdp).to.match(/^v=0/);
    expect(candidatePayloadSchema.parse({ candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 }).sdpMid).to.equal('0');
    expect(candidatePayloadSchema.parse({ candidate: '' })).to.deep.equal({ candidate: '', sdpMid: null, sdpMLineIndex: null });
  });

  it('names the field that is wrong', () => {
    expect(why(answerPayloadSchema, {})).to.equal('sdp: required');
    expect(why(answerPayloadSchema, { sdp: 1 })).to.equal('sdp: must be a string');
    expect(why(answerPayloadSchema, { sdp: '' })).to.equal('sdp: is empty');
    expect(why(answerPayloadSchema, { sdp: 'hello' })).to.match(/^sdp: not an SDP description/);
    expect(why(answerPayloadSchema, { sdp: 'v=0\r\nm=video 9 UDP 96\r\n' })).to.equal('sdp: has no audio m-line');
    expect(why(answerPayloadSchema, { sdp: `v=0\r\nm=audio ${'x'.repeat(70_000)}` })).to.match(/^sdp: longer than/);
    expect(why(candidatePayloadSchema, {})).to.equal('candidate: required');
    expect(why(candidatePayloadSchema, { candidate: 'nope' })).to.match(/^candidate: must be ""/);
    expect(why(candidatePayloadSchema, { candidate: '', sdpMLineIndex: -1 })).to.match(/^sdpMLineIndex: /);
    expect(why(emptyPayloadSchema, { extra: true })).to.equal('unknown field(s): extra');
  });
});
