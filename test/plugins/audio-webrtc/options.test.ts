import { expect } from 'chai';
import { webRtcOptionsSchema } from '../../../plugins/audio-webrtc/options.ts';

describe('audio-webrtc options', () => {
  it('defaults to direct mode, 32 kbit/s and no ICE servers (host candidates only)', () => {
    expect(webRtcOptionsSchema.parse({})).to.deep.equal({ mode: 'direct', bitrate: 32_000, iceServers: [] });
  });

  it('accepts STUN/TURN servers and livekit settings', () => {
    const o = webRtcOptionsSchema.parse({
      mode: 'livekit',
      iceServers: [{ urls: 'stun:stun.example.org:3478' }, { urls: ['turn:t.example.org'], username: 'u', credential: 'p' }],
      livekit: { url: 'wss://lk.example.org', apiKey: 'k', apiSecret: 's' },
    });
    expect(o.mode).to.equal('livekit');
    expect(o.iceServers).to.have.length(2);
  });

  it('refuses bad options, naming the field', () => {
    const issue = (input: unknown) => {
      const r = webRtcOptionsSchema.safeParse(input);
      expect(r.success, JSON.stringify(input)).to.equal(false);
      return r.error!.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
    };
    expect(issue({ mode: 'livekit' })).to.match(/livekit: required when mode is "livekit"/);
    expect(issue({ mode: 'sfu' })).to.match(/^mode /);
    expect(issue({ bitrate: 500 })).to.match(/^bitrate /);
    expect(issue({ iceServers: [{ urls: 'http://x' }] })).to.match(/must start with stun:, turn: or turns:/);
    expect(issue({ livekit: { url: 'lk.example.org', apiKey: 'k', apiSecret: 's' } })).to.match(/livekit.url/);
    expect(issue({ bogus: 1 })).to.match(/bogus/);
  });
});
