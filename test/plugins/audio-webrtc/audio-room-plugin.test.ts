import 'reflect-metadata';
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../server/config/load-config.ts';
import { createLogger } from '../../../server/observability/log.ts';
import { startTableServer, type TableServer } from '../../../server/app.ts';
import { TableClient } from '../../../server/cli/table-client.ts';
import { requestWebRtcSinkStats } from '../../../plugins/audio-webrtc/main-hub.ts';
import { WebRtcListener, expectContinuousTimestamps } from './webrtc-listener.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/plugins/', import.meta.url));
/** ≈ 4 s at the instant engine's 15 chars/s, two sentences (two chunks: a seam). */
const TEXT = 'The lanterns gutter in the hall. A cold wind rises from the stairs below.';
/** Decoded RMS (s16) above which a packet counts as narration; the fixture's tone is ≈ 5 000. */
const LOUD_RMS = 1000;
/** Decoded RMS below which a packet counts as silence (Opus silence decodes to ~0). */
const QUIET_RMS = 50;

describe('audio-webrtc direct mode (real Colyseus server, werift peers, Opus)', function () {
  this.timeout(60_000);
  let app: TableServer;
  let endpoint: string;
  const clients: TableClient[] = [];
  const listeners: WebRtcListener[] = [];

  before(async () => {
    const { config } = loadConfig({
      env: {},
      overrides: {
        port: 0,
        host: '127.0.0.1',
        sinks: ['webrtc'],
        engine: 'instant',
        pluginDirs: [FIXTURES],
        plugins: { 'instant-engine': {}, 'audio-webrtc': {} },
      },
    });
    app = await startTableServer(config, createLogger('silent'));
    endpoint = `ws://127.0.0.1:${app.port}`;
  });

  after(async () => {
    for (const l of listeners) await l.close();
    for (const c of clients) await c.leave();
    await app?.close();
  });

  async function seat(roomId?: string, name = 'Ana'): Promise<{ client: TableClient; listener: WebRtcListener }> {
    const client = roomId ? await TableClient.join(endpoint, roomId, { name }) : await TableClient.create(endpoint, { name });
    clients.push(client);
    const listener = new WebRtcListener(client.room);
    listeners.push(listener);
    return { client, listener };
  }

  async function narrate(dm: TableClient, text = TEXT): Promise<{ id: string; audioMs: number }> {
    const reply = await dm.request('narrate', { text });
    expect(reply.ok, JSON.stringify(reply)).to.equal(true);
    const id = (reply as { narrationId: string }).narrationId;
    const report = await dm.waitForEnd(id);
    return { id, audioMs: report.audioMs };
  }

  it('streams one RTP packet per frame with timestamps stepping 960, silence before and speech during the narration', async () => {
    const { client: dm, listener } = await seat();
    await listener.listen();
    await listener.until(() => listener.packets.length >= 25, 10_000, '25 packets of silence');
    const before = listener.packets.length;
    const { audioMs } = await narrate(dm);
    await listener.until(() => listener.packets.length >= before + audioMs / 20 + 10, 10_000, 'packets after the narration');

    const rms = listener.rmsPerPacket();
    const silenceBefore = rms.slice(0, before);
    expect(Math.max(...silenceBefore), 'loudest packet before the narration').to.be.below(QUIET_RMS);
    const loud = rms.filter((r) => r > LOUD_RMS).length;
    // One packet per 20 ms frame of narration; the edges (fades, Opus/resampler delay) blur a few.
    expect(loud).to.be.within(audioMs / 20 - 10, audioMs / 20 + 5);
    expectContinuousTimestamps(listener.packets);
  });

  it('sends the same narration to two listeners of a room and only silence to a listener of another room', async () => {
    const { client: dm } = await seat(undefined, 'Mira');
    const a1 = (await seat(dm.room.roomId, 'Ana')).listener;
    const a2 = (await seat(dm.room.roomId, 'Bo')).listener;
    const { listener: b } = await seat(undefined, 'Cy');
    await Promise.all([a1.listen(), a2.listen(), b.listen()]);
    const from = { a1: a1.packets.length, a2: a2.packets.length, b: b.packets.length };
    const { audioMs } = await narrate(dm);
    const frames = audioMs / 20;
    await a1.until(() => a1.packets.length >= from.a1 + frames + 10, 10_000, 'a1 packets');
    await a2.until(() => a2.packets.length >= from.a2 + frames + 10, 10_000, 'a2 packets');

    for (const l of [a1, a2]) {
      expect(l.rmsPerPacket().filter((r) => r > LOUD_RMS).length).to.be.within(frames - 10, frames + 5);
      expectContinuousTimestamps(l.packets);
    }
    const bRms = b.rmsPerPacket();
    expect(b.packets.length - from.b, 'room B keeps receiving while A narrates').to.be.greaterThan(frames * 0.5);
    expect(Math.max(...bRms), 'loudest packet in room B').to.be.below(QUIET_RMS);
    expect(await requestWebRtcSinkStats(dm.room.roomId)).to.include({ peers: 2, connectedPeers: 2 });
  });

  it('cleans up a listener that leaves mid-narration while the other keeps receiving', async () => {
    const { client: dm } = await seat(undefined, 'Mira');
    const { client: c1, listener: l1 } = await seat(dm.room.roomId, 'Ana');
    const { client: c2, listener: l2 } = await seat(dm.room.roomId, 'Bo');
    await Promise.all([l1.listen(), l2.listen()]);
    const roomId = dm.room.roomId;
    const reply = await dm.request('narrate', { text: `${TEXT} ${TEXT}` });
    const id = (reply as { narrationId: string }).narrationId;
    const heard = (l: WebRtcListener) => l.rmsPerPacket().filter((r) => r > LOUD_RMS).length;
    await l1.until(() => heard(l1) >= 25, 10_000, 'l1 hearing the narration');

    c1.room.send('audio:leave', {});
    await l1.until(() => l1.states.includes('closed'), 10_000, 'l1 closed');
    expect((await requestWebRtcSinkStats(roomId))?.peers).to.equal(1);
    const l1Count = l1.packets.length;
    const l2Count = l2.packets.length;
    await l2.until(() => l2.packets.length >= l2Count + 25, 10_000, 'l2 still receiving');
    expect(l1.packets.length - l1Count, 'packets to the listener that left').to.be.at.most(3);

    await dm.waitForEnd(id);
    expect(heard(l2)).to.be.greaterThan(heard(l1));
    expectContinuousTimestamps(l2.packets);

    // The SDK's leave() never settles when called twice, so the after hook must not leave c2 again.
    clients.splice(clients.indexOf(c2), 1);
    await c2.leave();
    let peers = -1;
    for (let i = 0; i < 100 && peers !== 0; i++) {
      peers = (await requestWebRtcSinkStats(roomId))?.peers ?? -1;
      if (peers !== 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(peers, 'peers after both left').to.equal(0);
  });

  it('answers bad audio payloads with audio:error naming the field, and the room carries on', async () => {
    const { client: dm, listener } = await seat(undefined, 'Mira');
    const send = async (type: string, payload: unknown, expected: RegExp) => {
      const n = listener.errors.length;
      dm.room.send(type, payload);
      await listener.until(() => listener.errors.length > n, 5000, `audio:error for ${type}`);
      expect(listener.errors[n], `${type} ${JSON.stringify(payload)}`).to.match(expected);
    };
    await send('audio:answer', { sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\n' }, /audio:answer: not listening; send audio:join first/);
    await send('audio:join', { please: true }, /audio:join: unknown field\(s\): please/);
    dm.room.send('audio:join', {});
    await listener.until(() => listener.states.includes('connected'), 15_000, 'connected');
    await send('audio:answer', {}, /audio:answer: sdp: required/);
    await send('audio:answer', { sdp: 42 }, /audio:answer: sdp: must be a string/);
    await send('audio:answer', { sdp: 'garbage' }, /audio:answer: sdp: not an SDP description/);
    await send('audio:answer', { sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\n' }, /audio:answer: /);
    await send('audio:candidate', { candidate: 7 }, /audio:candidate: candidate: must be a string/);
    await send('audio:candidate', { candidate: 'x', sdpMid: '0', sdpMLineIndex: 0 }, /candidate: must be "" or start with "candidate:"/);

    const before = listener.packets.length;
    const { audioMs } = await narrate(dm);
    await listener.until(() => listener.packets.length >= before + audioMs / 20, 10_000, 'packets after bad payloads');
    expect(listener.rmsPerPacket(before).filter((r) => r > LOUD_RMS).length).to.be.greaterThan(audioMs / 20 - 10);
    expect(listener.states).to.not.include('failed');
  });
});
