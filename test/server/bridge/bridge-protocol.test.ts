import 'reflect-metadata';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Server as HttpServer } from 'node:http';
import { Client as SdkClient } from '@colyseus/sdk';
import { Room, Server, definePlugins, matchMaker } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { instantConfig } from '../../fixtures/instant-config.ts';
import { createLogger } from '../../../server/observability/log.ts';
import { startTableServer, type TableServer } from '../../../server/app.ts';
import { createNarrator, type Narrator } from '../../../server/host/narrator.ts';
import { MAX_BACKLOG_BYTES } from '../../../server/bridge/bridge-session.ts';
import { NodeBridgeClient, type ReceivedFrame } from '../../../game-bridge/node/bridge-client.ts';

const SLOW_READER = fileURLToPath(new URL('../../fixtures/bridge/slow-reader.py', import.meta.url));
/** The instant fixture engine's rate, Hz (a 220 Hz tone at amplitude 0.3: RMS ≈ 0.21). */
const ROOM_RATE = 22_050;
/** Narration length per character at the fixture's 30 characters per second, ms. */
const MS_PER_CHAR = 1000 / 30;
/** One `map` message of the test's game room, bytes of tiles. */
const MAP_MESSAGE_BYTES = 64 * 1024;
const LONG = 'The torches gutter as the wind rises. Somewhere below, water drips on old stone, and the smell of smoke drifts up the stair.';

function fixtureConfig(overrides: Record<string, unknown> = {}) {
  return instantConfig({ sinks: ['bridge'], ...overrides });
}

/** Asserts that a refused connection closed with `code` and a reason matching `reason`. */
async function expectClose(client: NodeBridgeClient, code: number, reason: RegExp): Promise<void> {
  const info = await Promise.race([client.closed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no close within 5 s (wanted ${code})`)), 5000))]);
  expect(info.code, info.reason).to.equal(code);
  expect(info.reason).to.match(reason);
}

/** Frames of one generation, in arrival order, from `frames`. */
const audible = (frames: readonly ReceivedFrame[]) => frames.filter((f) => !f.silence);

/** Seq gaps in received order (frames this client did not get). */
function seqGaps(frames: readonly ReceivedFrame[]): number {
  let gaps = 0;
  for (let i = 1; i < frames.length; i++) gaps += frames[i]!.seq - frames[i - 1]!.seq - 1;
  return gaps;
}

describe('game bridge protocol (real Colyseus server, `ws` clients, instant fixture engine)', function () {
  this.timeout(60_000);
  let app: TableServer;
  let url: string;
  let endpoint: string;
  const clients: NodeBridgeClient[] = [];
  const track = (c: NodeBridgeClient) => (clients.push(c), c);
  const connect = async (request: Record<string, unknown>) => track(await NodeBridgeClient.connect(url, request));
  const open = async () => track(await NodeBridgeClient.open(url));

  before(async () => {
    // audio-webrtc mounted but `webrtc` not in sinks: a WebRTC audio:join must still get an answer.
    app = await startTableServer(fixtureConfig({ dmSecret: 'sesame', plugins: { 'audio-webrtc': {} } }), createLogger('silent'));
    url = `ws://127.0.0.1:${app.port}/bridge`;
    endpoint = `ws://127.0.0.1:${app.port}`;
  });

  afterEach(async () => {
    // Gone from their rooms before the next test joins-or-creates one (the table room refuses a taken name).
    for (const c of clients.splice(0)) {
      c.ws.terminate();
      const seat = c.messages.find((m) => m.type === 'seated');
      const seated = () => seat && matchMaker.getLocalRoomById(seat.roomId)?.clients.getById(seat.sessionId);
      for (let i = 0; i < 100 && seated(); i++) await new Promise((r) => setTimeout(r, 20));
    }
  });

  after(async () => {
    await app?.close();
  });

  it('seats a bridge player in the same room as an SDK client: one player list, the room\'s roles and rules', async () => {
    const sdk = await new SdkClient(endpoint).create('table', { name: 'Mira', dmSecret: 'sesame' });
    try {
      const bridge = await connect({ type: 'join', room: sdk.roomId, name: 'Gd' });
      expect(bridge.seated).to.include({ v: 1, roomId: sdk.roomId, roomName: 'table', role: 'player' });
      expect(bridge.seated.audio).to.deep.equal({ format: 's16le', channels: 1, rate: ROOM_RATE, frameMs: 20 });
      expect(await bridge.waitFor(() => Object.keys(bridge.state?.players ?? {}).length === 2)).to.equal(true);
      const names = Object.values(bridge.state.players as Record<string, { name: string; role: string }>).map((p) => `${p.name}:${p.role}`).sort();
      expect(names).to.deep.equal(['Gd:player', 'Mira:dm']);
      // The SDK client sees the bridge player too.
      const deadline = Date.now() + 5000;
      while ((sdk.state as any).players.size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect((sdk.state as any).players.get(bridge.seated.sessionId).name).to.equal('Gd');

      // A player may not narrate; it may send the events the rules open to players.
      bridge.send('narration:narrate', { text: 'I am the DM now.' });
      expect(await bridge.waitForMessage('narration:error')).to.include({ type: 'narration:narrate', code: 'not_allowed' });
      bridge.send('narration:event', { type: 'dice_roll', name: 'Gd', dice: '1d20', result: 17 });
      const accepted = await bridge.waitForMessage('narration:accepted', (a) => a.type === 'narration:event');
      const report = await bridge.waitForMessage('narration:end', (r) => r.id === accepted.narrationId);
      expect(report).to.include({ cancelled: false, text: 'Gd rolls 1d20 and gets 17.' });
      const captions = bridge.roomMessages('narration:caption').filter((c) => c.narrationId === accepted.narrationId);
      expect(captions.map((c) => c.index)).to.deep.equal(captions.map((_, i) => i));
      expect(bridge.roomMessages('narration:start').some((s) => s.narrationId === accepted.narrationId)).to.equal(true);
    } finally {
      await sdk.leave(true).catch(() => undefined);
    }
  });

  it('streams one 20 ms PCM frame per clock frame, at the room rate and at 16 kHz, audible while narrating and paced at 50 frames/s', async () => {
    const dm = await connect({ type: 'join', roomName: 'table', name: 'Mira', options: { dmSecret: 'sesame' }, role: 'dm' });
    expect(dm.seated.role).to.equal('dm');
    const player = await connect({ type: 'join', room: dm.seated.roomId, name: 'Ana', audio: { rate: 16_000 } });
    expect(player.seated.audio.rate).to.equal(16_000);
    dm.send('narration:narrate', { text: LONG });
    const { narrationId } = await dm.waitForMessage('narration:accepted');
    const report = await dm.waitForMessage('narration:end', (r) => r.id === narrationId, 30_000);
    expect(report.cancelled).to.equal(false);
    // The frames of the narration's end reach the sockets before or just after the end message.
    await player.waitFor(() => player.frames.length > 0 && audible(player.frames).length * 20 >= report.audioMs - 100, 2000);

    const lastSeq = audible(dm.frames).at(-1)!.seq;
    for (const [client, rate, samples] of [[dm, ROOM_RATE, 441], [player, 16_000, 320]] as const) {
      expect(client.badFrames).to.equal(0);
      expect(client.frames.every((f) => f.rate === rate && f.samples === samples)).to.equal(true);
      expect(seqGaps(client.frames), 'frames missed').to.equal(0);
      const heard = audible(client.frames);
      // The whole narration came through: its audio in frames, ±2 frames at the edges.
      expect(heard.length * 20).to.be.within(report.audioMs - 40, report.audioMs + 40);
      const mean = heard.reduce((s, f) => s + f.rms, 0) / heard.length;
      expect(mean, 'RMS of the 0.3-amplitude tone').to.be.within(0.15, 0.25);
      // Pace: frames span their seq range in wall time (the clock's 50/s), bursts from a loaded main thread aside.
      const spanMs = heard[heard.length - 1]!.atMs - heard[0]!.atMs;
      const seqMs = (heard[heard.length - 1]!.seq - heard[0]!.seq) * 20;
      expect(seqMs).to.be.greaterThan(3000);
      expect(spanMs / seqMs).to.be.within(0.8, 1.25);
    }
    // Silence frames carry no payload, and flow while nothing is narrated.
    expect(await dm.waitFor(() => dm.frames.some((f) => f.silence && f.seq > lastSeq))).to.equal(true);
  });

  it('on cancel bumps the generation; no frame of the old generation comes after the new one', async () => {
    const dm = await connect({ type: 'join', roomName: 'table', name: 'Mira', options: { dmSecret: 'sesame' } });
    dm.send('narration:narrate', { text: LONG });
    const { narrationId } = await dm.waitForMessage('narration:accepted');
    expect(await dm.waitFor(() => audible(dm.frames).length >= 25)).to.equal(true);
    const oldGeneration = audible(dm.frames)[0]!.generation;
    const sentAt = performance.now();
    dm.send('narration:cancel');
    const report = await dm.waitForMessage('narration:end', (r) => r.id === narrationId);
    expect(report.cancelled).to.equal(true);
    const countAfterEnd = dm.frames.length;
    expect(await dm.waitFor(() => dm.frames.length >= countAfterEnd + 10)).to.equal(true);

    const firstNew = dm.frames.findIndex((f) => f.generation > oldGeneration);
    expect(firstNew).to.be.greaterThan(-1);
    expect(dm.frames[firstNew]!.generation).to.equal(oldGeneration + 1);
    expect(dm.frames.slice(firstNew).every((f) => f.generation === oldGeneration + 1), 'old generation after the new').to.equal(true);
    // What still came of the old generation after the request is what was already in flight (≤ 10 frames = 200 ms).
    const staleAfterCancel = dm.frames.filter((f) => f.generation === oldGeneration && f.atMs > sentAt).length;
    expect(staleAfterCancel).to.be.at.most(10);
    // The cancelled narration ends well short of its length.
    expect(report.audioMs).to.be.lessThan(LONG.length * MS_PER_CHAR - 1000);
  });

  it('refuses a name that is not valid Unicode, which JSON join options (unlike msgpack messages) carry through', async () => {
    const dm = await connect({ type: 'join', roomName: 'table', name: 'Mira', options: { dmSecret: 'sesame' } });
    const bob = await open();
    bob.ws.send(`{"type":"join","v":1,"room":"${dm.seated.roomId}","name":"Bob\\ud800"}`);
    await expectClose(bob, 4401, /name contains a lone UTF-16 surrogate/);
    dm.send('narration:narrate', { text: 'Still one player.' });
    await dm.waitForMessage('narration:end');
    expect(Object.values(dm.state.players as Record<string, { name: string }>).map((p) => p.name)).to.deep.equal(['Mira']);
  });

  it('answers ping with pong and leave with 1000', async () => {
    const c = await connect({ type: 'join', roomName: 'table', name: 'Pat', audio: false });
    expect(c.seated.audio).to.equal(null);
    c.sendJson({ type: 'ping', t: 42 });
    expect(await c.waitFor(() => c.messages.some((m) => m.type === 'pong' && m.t === 42))).to.equal(true);
    expect(await c.leave()).to.deep.equal({ code: 1000, reason: 'left' });
    expect(c.frames).to.have.length(0);
  });

  describe('refusals: a close code and a reason naming what was wrong', () => {
    const cases: Array<[string, (c: NodeBridgeClient) => void, number, RegExp]> = [
      ['bad JSON', (c) => c.ws.send('{"type": "join",'), 4400, /bad JSON/],
      ['not an object', (c) => c.ws.send('[1,2]'), 4400, /JSON object/],
      ['an unknown type', (c) => c.sendJson({ type: 'dance' }), 4400, /unknown type "dance"; allowed: join, attach, send, ping, leave/],
      ['a join without a name', (c) => c.sendJson({ type: 'join', v: 1, roomName: 'table' }), 4400, /name/],
      ['a join with both room and roomName', (c) => c.sendJson({ type: 'join', v: 1, room: 'x', roomName: 'table', name: 'A' }), 4400, /exactly one of room/],
      ['an unsupported version', (c) => c.sendJson({ type: 'join', v: 2, roomName: 'table', name: 'A' }), 4400, /unsupported protocol version 2; this server speaks 1/],
      ['send before join', (c) => c.sendJson({ type: 'send', message: 'narration:cancel' }), 4400, /not seated yet/],
      ['a binary frame', (c) => c.ws.send(Buffer.from([1, 2, 3, 4])), 4400, /binary frames are not accepted/],
      ['an audio rate not offered', (c) => c.sendJson({ type: 'join', v: 1, roomName: 'table', name: 'A', audio: { rate: 44_100 } }), 4400, /44100 Hz is not offered; use 22050 or 16000/],
      ['a wrong dmSecret', (c) => c.sendJson({ type: 'join', v: 1, roomName: 'table', name: 'A', options: { dmSecret: 'nope' } }), 4401, /wrong dmSecret/],
      ['a bad name (the room\'s own rule)', (c) => c.sendJson({ type: 'join', v: 1, roomName: 'table', name: '   ' }), 4401, /name is empty/],
      ['the DM seat without the secret', (c) => c.sendJson({ type: 'join', v: 1, roomName: 'table', name: 'A', role: 'dm' }), 4403, /DM seat/],
      ['an unknown room id', (c) => c.sendJson({ type: 'join', v: 1, room: 'nope', name: 'A' }), 4404, /room "nope" not found/],
      ['an unknown room type', (c) => c.sendJson({ type: 'join', v: 1, roomName: 'tavern', name: 'A' }), 4404, /no room type named "tavern"/],
      ['an unknown token', (c) => c.sendJson({ type: 'attach', v: 1, token: 'forged' }), 4410, /token unknown, already used or expired/],
      // `ws` closes at once on an oversized frame, with RFC 6455's "message too big" and no reason.
      ['a 1 MB text frame', (c) => c.ws.send('x'.repeat(1024 * 1024)), 1009, /^$/],
    ];
    for (const [what, act, code, reason] of cases) {
      it(`${what} → ${code}`, async () => {
        const c = await open();
        act(c);
        await expectClose(c, code, reason);
      });
    }

    it('a second join → 4400, and the first seat is left', async () => {
      const c = await connect({ type: 'join', roomName: 'table', name: 'Twice' });
      const room = matchMaker.getLocalRoomById(c.seated.roomId)!;
      expect(room.clients.getById(c.seated.sessionId)).to.not.equal(undefined);
      c.sendJson({ type: 'join', v: 1, roomName: 'table', name: 'Twice' });
      await expectClose(c, 4400, /already sent join or attach/);
      await new Promise((r) => setTimeout(r, 100));
      expect(room.clients.getById(c.seated.sessionId)).to.equal(undefined);
    });
  });

  it('gives an SDK client a one-time token for bridge audio (audio:join transport bridge) and ends that stream when the seat leaves', async () => {
    const sdk = await new SdkClient(endpoint).create('table', { name: 'Godot SDK' });
    const grants: any[] = [];
    const errors: any[] = [];
    sdk.onMessage('audio:bridge', (m) => grants.push(m));
    sdk.onMessage('audio:error', (m) => errors.push(m));
    for (const t of ['narration:status', 'narration:caption', 'narration:start', 'narration:end', 'narration:accepted']) sdk.onMessage(t, () => undefined);
    sdk.send('audio:join', { transport: 'pigeon' });
    sdk.send('audio:join', {});
    sdk.send('audio:join', { transport: 'bridge' });
    const deadline = Date.now() + 5000;
    while ((grants.length === 0 || errors.length < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(errors[0].message).to.match(/transport must be "webrtc" or "bridge"/);
    expect(errors[1].message).to.equal('audio:join: this server does not stream to browsers (config sinks has no "webrtc")');
    expect(grants[0]).to.include({ path: '/bridge', expiresInMs: 30_000 });
    const { token } = grants[0];

    const audio = await connect({ type: 'attach', token, audio: { rate: 16_000 } });
    expect(audio.seated).to.include({ type: 'attached', roomId: sdk.roomId, sessionId: sdk.sessionId });
    expect(await audio.waitFor(() => audio.frames.length >= 5)).to.equal(true);
    expect(audio.frames[0]!.rate).to.equal(16_000);
    // Narration from the SDK seat (the first to join without a dmSecret configured? no: this server has one) is heard here.
    const reuse = await open();
    reuse.sendJson({ type: 'attach', v: 1, token });
    await expectClose(reuse, 4410, /token unknown, already used/);
    audio.send('narration:cancel');
    await expectClose(audio, 4400, /audio only/);

    sdk.send('audio:join', { transport: 'bridge' });
    while (grants.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const again = await connect({ type: 'attach', token: grants[1].token });
    await sdk.leave(true);
    await expectClose(again, 4000, /the seat left the room/);
  });

  it('lets a client vanish in the middle of a frame: its seat is freed, the room goes on', async () => {
    const dm = await connect({ type: 'join', roomName: 'table', name: 'Mira', options: { dmSecret: 'sesame' } });
    const socket = net.connect(app.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /bridge HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const payload = Buffer.from(JSON.stringify({ type: 'join', v: 1, room: dm.seated.roomId, name: 'Ghost' }));
    const mask = Buffer.from([1, 2, 3, 4]);
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
    expect(await dm.waitFor(() => Object.keys(dm.state?.players ?? {}).length === 2)).to.equal(true);
    // Half a frame header, then gone.
    socket.write(Buffer.from([0x81, 0xfe, 0x10]));
    socket.destroy();
    expect(await dm.waitFor(() => Object.keys(dm.state?.players ?? {}).length === 1)).to.equal(true);
    dm.send('narration:narrate', { text: 'Still here.' });
    expect(await dm.waitForMessage('narration:end')).to.include({ cancelled: false });
  });
});

describe('game bridge in a game\'s own Colyseus server (narrator.attachBridge)', function () {
  this.timeout(90_000);
  let narrator: Narrator;
  let server: Server;
  let url: string;
  let port: string;
  const clients: NodeBridgeClient[] = [];

  before(async () => {
    narrator = await createNarrator(fixtureConfig({ 'limits.maxBridgeClients': 101 }) as never, { log: createLogger('silent') });
    class Crypt extends Room {
      override maxClients = 128;
      override plugins = definePlugins({ narration: narrator.roomPlugin({ role: (_c, o) => ((o as { gm?: boolean })?.gm ? 'dm' : 'player') }) });
      override messages = {
        // The game's own traffic: map tiles for everyone.
        map: (_client: unknown, data: { count: number }) => {
          for (let i = 0; i < data.count; i++) this.broadcast('map', { i, tiles: 'x'.repeat(MAP_MESSAGE_BYTES) });
        },
      };
    }
    class Duel extends Room {
      override maxClients = 1;
      override plugins = definePlugins({ narration: narrator.roomPlugin() });
    }
    server = new Server({ transport: new WebSocketTransport(), greet: false, gracefullyShutdown: false });
    server.define('crypt', Crypt);
    server.define('duel', Duel);
    await server.listen(0, '127.0.0.1');
    const http = (server.transport as unknown as { server: HttpServer }).server;
    narrator.attachBridge(http, { joinTimeoutMs: 2000 });
    port = String((http.address() as net.AddressInfo).port);
    url = `ws://127.0.0.1:${port}/bridge`;
  });

  after(async () => {
    for (const c of clients) c.ws.terminate();
    await narrator?.closeBridge();
    await server?.gracefullyShutdown(false).catch(() => undefined);
    await narrator?.close();
  });

  it('bounds what it queues for a reader that stops reading: its audio is dropped, then it is closed (4429); other listeners lose nothing', async () => {
    const gm = await NodeBridgeClient.connect(url, { type: 'join', roomName: 'crypt', name: 'GM', options: { gm: true } });
    const listener = await NodeBridgeClient.connect(url, { type: 'join', room: gm.seated.roomId, name: 'Ana' });
    clients.push(gm, listener);
    const slow = spawn('python3', [SLOW_READER, '127.0.0.1', port, gm.seated.roomId, '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        slow.stdout.once('data', () => resolve());
        slow.once('exit', (code) => reject(new Error(`slow reader exited with ${code}`)));
      });
      const others = new Set([gm.seated.sessionId, listener.seated.sessionId]);
      const slowStats = () => narrator.bridgeStats()!.sessions.find((s) => s.roomId === gm.seated.roomId && s.sessionId && !others.has(s.sessionId));
      expect(await gm.waitFor(() => slowStats()?.state === 'seated')).to.equal(true);
      gm.send('narration:narrate', { text: LONG });
      expect(await gm.waitFor(() => audible(gm.frames).length >= 10)).to.equal(true);
      // The game broadcasts 4 MB of map tiles while the narration plays, 64 KiB per 30 ms: more than the kernel's socket buffers take.
      let worst = slowStats()!;
      const sampler = setInterval(() => (worst = slowStats() ?? worst), 5);
      try {
        for (let i = 0; i < 64; i++) {
          gm.send('map', { count: 1 });
          await new Promise((r) => setTimeout(r, 30));
        }
        expect(await gm.waitFor(() => !slowStats(), 5000), 'the slow reader was closed').to.equal(true);
      } finally {
        clearInterval(sampler);
      }
      console.log(`      slow reader: ${worst.framesSent} frames sent, ${worst.framesDropped} dropped, at most ${Math.round(worst.maxBufferedBytes / 1024)} KiB queued, then closed`);
      expect(worst.framesDropped).to.be.greaterThan(0);
      const dropped = (await narrator.metrics.bridgeFramesDropped.get()).values[0]!.value;
      expect(dropped, 'vrpg_bridge_frames_dropped_total').to.be.at.least(worst.framesDropped);
      // Queued at most the 1 MiB limit plus the one message that crossed it.
      expect(worst.maxBufferedBytes).to.be.at.most(MAX_BACKLOG_BYTES + MAP_MESSAGE_BYTES + 1024);
      await gm.waitForMessage('narration:end', () => true, 30_000);
      expect(await listener.waitFor(() => listener.roomMessages('map').length === 64, 20_000)).to.equal(true);
      expect(seqGaps(listener.frames)).to.equal(0);
      expect(listener.badFrames).to.equal(0);
    } finally {
      slow.kill();
      for (const c of clients.splice(0)) await c.leave();
    }
  });

  it('narrates to 100 bridge clients in one room: every one seated, every frame and caption delivered', async () => {
    const gm = await NodeBridgeClient.connect(url, { type: 'join', roomName: 'crypt', name: 'GM', options: { gm: true } });
    clients.push(gm);
    expect(gm.seated.role).to.equal('dm');
    for (let i = 1; i < 100; i += 33) {
      const batch = await Promise.all(Array.from({ length: Math.min(33, 100 - i) }, (_, k) =>
        NodeBridgeClient.connect(url, { type: 'join', room: gm.seated.roomId, name: `P${i + k}`, audio: (i + k) % 2 ? true : { rate: 16_000 } }, 20_000)));
      clients.push(...batch);
    }
    expect(clients).to.have.length(100);
    expect(matchMaker.getLocalRoomById(gm.seated.roomId)!.clients.length).to.equal(100);
    expect(clients.slice(1).every((c) => c.seated.role === 'player')).to.equal(true);

    gm.send('narration:narrate', { text: 'A hundred candles light at once.' });
    const { narrationId } = await gm.waitForMessage('narration:accepted');
    const report = await gm.waitForMessage('narration:end', (r) => r.id === narrationId, 30_000);
    await Promise.all(clients.map((c) => c.waitForMessage('narration:end', (r) => r.id === narrationId, 10_000)));
    await new Promise((r) => setTimeout(r, 200));
    const heard = clients.map((c) => audible(c.frames).filter((f) => f.rms > 0.1).length);
    console.log(`      100 clients: audible frames per client ${Math.min(...heard)}–${Math.max(...heard)} (report ${report.audioMs / 20})`);
    for (const c of clients) {
      expect(c.badFrames).to.equal(0);
      expect(seqGaps(c.frames)).to.equal(0);
      expect(audible(c.frames).length * 20).to.be.within(report.audioMs - 40, report.audioMs + 40);
      expect(c.roomMessages('narration:caption').some((cap) => cap.narrationId === narrationId)).to.equal(true);
    }
  });

  it('closes a connection that sends nothing (4408), and the one over limits.maxBridgeClients (4503)', async () => {
    const idle = await NodeBridgeClient.open(url); // the 101st: allowed, then times out
    const over = await NodeBridgeClient.open(url); // the 102nd
    await expectClose(over, 4503, /server full: 101 bridge connections/);
    await expectClose(idle, 4408, /no join or attach within 2 s/);
  });

  it('refuses a full room (4409)', async () => {
    for (const c of clients.splice(0)) await c.leave();
    const first = await NodeBridgeClient.connect(url, { type: 'join', roomName: 'duel', name: 'One' });
    clients.push(first);
    const second = await NodeBridgeClient.open(url);
    second.sendJson({ type: 'join', v: 1, room: first.seated.roomId, name: 'Two' });
    await expectClose(second, 4409, /is full or locked/);
  });

  it('closes every connection with 1001 when the server shuts down', async () => {
    const c = await NodeBridgeClient.connect(url, { type: 'join', roomName: 'crypt', name: 'Last' });
    clients.push(c);
    await narrator.closeBridge();
    await expectClose(c, 1001, /server shutting down/);
  });
});
