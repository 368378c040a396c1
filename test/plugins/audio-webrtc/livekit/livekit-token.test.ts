import { expect } from 'chai';
import { TokenVerifier } from 'livekit-server-sdk';
import {
  DEFAULT_TOKEN_TTL_SECONDS,
  NARRATOR_IDENTITY,
  mintPublishToken,
  mintSubscribeToken,
} from '../../../../plugins/audio-webrtc/livekit/livekit-token.ts';

const KEY = 'devkey';
const SECRET = 'secret-that-is-long-enough-for-hs256';

/** Verifies signature + issuer as livekit-server does and returns every claim. */
async function claimsOf(token: string, secret = SECRET): Promise<Record<string, unknown>> {
  return (await new TokenVerifier(KEY, secret).verify(token)) as unknown as Record<string, unknown>;
}

describe('mintSubscribeToken', () => {
  const base = { apiKey: KEY, apiSecret: SECRET, room: 'vrpg-abc', identity: 'sess-1', name: 'Aria' };

  it('grants exactly subscribe-only access to the one room', async () => {
    const claims = await claimsOf(await mintSubscribeToken(base));
    expect(claims.video).to.deep.equal({
      room: 'vrpg-abc',
      roomJoin: true,
      canSubscribe: true,
      canPublish: false,
      canPublishData: false,
    });
  });

  it('names the session as identity and the player as name, issued by the API key', async () => {
    const claims = await claimsOf(await mintSubscribeToken(base));
    expect(claims.sub).to.equal('sess-1');
    expect(claims.name).to.equal('Aria');
    expect(claims.iss).to.equal(KEY);
  });

  it('lives one hour by default', async () => {
    const before = Math.floor(Date.now() / 1000);
    const claims = await claimsOf(await mintSubscribeToken(base));
    const after = Math.ceil(Date.now() / 1000);
    expect(DEFAULT_TOKEN_TTL_SECONDS).to.equal(3600);
    expect(claims.exp as number).to.be.within(before + 3600, after + 3600);
    expect((claims.exp as number) - (claims.nbf as number)).to.equal(3600);
  });

  it('honours a custom ttlSeconds', async () => {
    const claims = await claimsOf(await mintSubscribeToken({ ...base, ttlSeconds: 120 }));
    expect((claims.exp as number) - (claims.nbf as number)).to.equal(120);
  });

  it('scopes a token for room A to room A only', async () => {
    const claims = await claimsOf(await mintSubscribeToken({ ...base, room: 'vrpg-A' }));
    expect((claims.video as { room: string }).room).to.equal('vrpg-A');
    expect(JSON.stringify(claims)).not.to.contain('vrpg-B');
  });

  it('fails verification with another secret', async () => {
    const token = await mintSubscribeToken(base);
    let err: unknown;
    try {
      await claimsOf(token, 'some-other-secret-of-sufficient-length');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(Error);
  });

  it('refuses an empty identity, room or credentials, and a bad TTL, naming the problem', async () => {
    const cases: Array<[Partial<typeof base> & { ttlSeconds?: number }, RegExp]> = [
      [{ identity: '' }, /identity/],
      [{ room: '' }, /room/],
      [{ apiSecret: '' }, /apiSecret/],
      [{ ttlSeconds: 0 }, /ttlSeconds 0/],
      [{ ttlSeconds: 1.5 }, /ttlSeconds 1.5/],
    ];
    for (const [patch, re] of cases) {
      let err: Error | undefined;
      try {
        await mintSubscribeToken({ ...base, ...patch });
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message, JSON.stringify(patch)).to.match(re);
    }
  });
});

describe('mintPublishToken', () => {
  it('lets the narrator publish a microphone track into one room and nothing else', async () => {
    const claims = await claimsOf(await mintPublishToken({ apiKey: KEY, apiSecret: SECRET, room: 'vrpg-xyz' }));
    expect(claims.sub).to.equal(NARRATOR_IDENTITY);
    expect(claims.video).to.deep.equal({
      room: 'vrpg-xyz',
      roomJoin: true,
      canPublish: true,
      canPublishSources: ['microphone'],
      canSubscribe: false,
      canPublishData: false,
    });
  });
});
