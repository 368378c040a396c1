import 'reflect-metadata';
import { expect } from 'chai';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { Room, Server, definePlugins, matchMaker, type Client } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { Client as SdkClient, type Room as SdkRoom } from '@colyseus/sdk';
import { Schema, type } from '@colyseus/schema';
import { createNarrator, type Narrator } from '../../../server/host/narrator.ts';
import { NarrationState } from '../../../server/room/narration-state.ts';
import { NarrationError } from '../../../server/narration/narration-error.ts';
import type { NarrationReport } from '../../../server/narration/narration.ts';
import { ConfigError } from '../../../server/config/config-error.ts';
import { createLogger } from '../../../server/observability/log.ts';

const LONG =
  'The tunnel bends to the left, and the air grows warm and still. Somewhere below, water drips onto stone, ' +
  'slow and steady, while the torchlight shrinks to a small orange circle around your feet.';

/** A game's own state: hit points, and the narration's part of it. */
class DungeonState extends Schema {
  @type('int32') ogreHp = 30;
  @type('string') lastAttack = '';
  @type(NarrationState) story = new NarrationState();
}

/** A game's own state without any narration field. */
class ArenaState extends Schema {
  @type('int32') round = 1;
}

/** What the host rooms report back to the test. */
const seen = {
  dungeonReports: [] as NarrationReport[], hostNarrate: 0, hostEvent: 0, errors: [] as unknown[],
  /** Room id → the narration its `herald` room started in its own onCreate. */
  heralds: new Map<string, Promise<NarrationReport>>(),
};

/**
 * Builds two room types the way a game would: its own state, its own handlers (one named `narrate`
 * and one `event`, which must not collide with narration's), a server-side combat rule that narrates,
 * and roles decided by the game (`dungeon`) or by the default policy (`arena`).
 */
function gameRooms(narrator: Narrator) {
  class DungeonRoom extends Room<{ state: DungeonState }> {
    override state = new DungeonState();
    override plugins = definePlugins({
      narration: narrator.roomPlugin({
        rules: { trap: { template: 'A trap springs under {who}!', priority: 'interrupt', players: true } },
        role: (_client: Client, joinOptions: unknown) => ((joinOptions as { gm?: boolean })?.gm ? 'dm' : 'player'),
      }),
    });
    override messages = {
      narrate: (client: Client) => {
        seen.hostNarrate++;
        client.send('host:narrate', { ok: true });
      },
      event: (client: Client) => {
        seen.hostEvent++;
        client.send('host:event', { ok: true });
      },
    };
    override onCreate(): void {
      this.onMessage('attack', (client: Client, msg: { damage: number; who: string }) => {
        this.state.ogreHp -= msg.damage;
        this.state.lastAttack = msg.who;
        try {
          const n = this.plugins.narration.narrate(`${msg.who} hits the ogre for ${msg.damage}.`, { priority: 'interrupt', trigger: 'game:attack' });
          n.done.then((r) => seen.dungeonReports.push(r));
          client.send('host:attacked', { narrationId: n.id });
        } catch (err) {
          seen.errors.push(err);
          client.send('host:attack-refused', { code: (err as NarrationError).code });
        }
      });
      this.onMessage('bad-calls', (client: Client) => {
        const codes: string[] = [];
        const attempt = (fn: () => unknown) => {
          try {
            fn();
            codes.push('accepted');
          } catch (err) {
            codes.push(err instanceof NarrationError ? err.code : `untyped:${(err as Error).message}`);
          }
        };
        const p = this.plugins.narration;
        attempt(() => p.narrate(''));
        attempt(() => p.narrate('   '));
        attempt(() => p.narrate('x'.repeat(3001)));
        attempt(() => p.narrate('Hello.', { voice: 'xx-nowhere' }));
        attempt(() => p.event('summon_dragon'));
        attempt(() => p.event('trap', {}));
        attempt(() => p.narrate('Hello.', { priority: 'later' as 'queue' }));
        attempt(() => p.narrate(42 as unknown as string));
        client.send('host:bad-calls', { codes });
      });
    }
  }

  class ArenaRoom extends Room<{ state: ArenaState }> {
    override state = new ArenaState();
    override plugins = definePlugins({ narration: narrator.roomPlugin() });
    override onCreate(): void {
      this.onMessage('announce', (client: Client, msg: { text: string }) => {
        const n = this.plugins.narration.narrate(msg.text);
        client.send('host:announced', { narrationId: n.id });
      });
    }
  }
  /** Narrates from its own onCreate, before anyone has joined. */
  class HeraldRoom extends Room {
    override plugins = definePlugins({ narration: narrator.roomPlugin() });
    override onCreate(): void {
      seen.heralds.set(this.roomId, this.plugins.narration.narrate('Hear ye, the tournament begins at dawn.').done);
    }
  }
  return { DungeonRoom, ArenaRoom, HeraldRoom };
}

/** Collects a joined client's `narration:*` and `host:*` messages. */
class Seat {
  readonly messages: Array<{ type: string; payload: any }> = [];
  constructor(readonly room: SdkRoom) {
    room.onMessage('*', (type: string | number, payload: unknown) => this.messages.push({ type: String(type), payload }));
  }
  of(type: string): any[] {
    return this.messages.filter((m) => m.type === type).map((m) => m.payload);
  }
  /** The `index`-th message of `type` (0 = the first), waiting for it. */
  async next(type: string, index = 0, timeoutMs = 15_000): Promise<any> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.of(type)[index];
      if (found !== undefined) return found;
      if (Date.now() > until) throw new Error(`no ${type} #${index} within ${timeoutMs} ms; got ${this.messages.map((m) => m.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  async end(narrationId: string, timeoutMs = 30_000): Promise<NarrationReport> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = this.of('narration:end').find((x) => x.id === narrationId);
      if (r) return r;
      if (Date.now() > until) throw new Error(`narration ${narrationId} did not end`);
      await new Promise((res) => setTimeout(res, 10));
    }
  }
}

/** Real Colyseus 0.18 server, official SDK clients, the real espeak-ng engine. */
describe('narration room plugin in a game\'s own rooms (real Colyseus server, SDK clients, espeak-ng)', function () {
  this.timeout(60_000);
  let narrator: Narrator;
  let server: Server;
  let endpoint: string;
  let recordingsDir: string;
  const seats: Seat[] = [];

  before(async () => {
    narrator = await createNarrator(
      {
        plugins: { 'tts-espeak': {} },
        sinks: ['wav'],
        recordingsDir: (recordingsDir = mkdtempSync(join(tmpdir(), 'vrpg-plugin-'))),
        limits: { maxTextChars: 3000 },
      },
      { log: createLogger('silent') },
    );
    const { DungeonRoom, ArenaRoom, HeraldRoom } = gameRooms(narrator);
    server = new Server({ transport: new WebSocketTransport(), greet: false, gracefullyShutdown: false });
    server.define('dungeon', DungeonRoom);
    server.define('arena', ArenaRoom);
    server.define('herald', HeraldRoom);
    await server.listen(0, '127.0.0.1');
    const http = (server.transport as unknown as { server: HttpServer }).server;
    endpoint = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const s of seats) await s.room.leave(true).catch(() => undefined);
    await Promise.allSettled([...(await matchMaker.query({}))].map((r) => matchMaker.remoteRoomCall(r.roomId, 'disconnect')));
    await server?.gracefullyShutdown(false).catch(() => undefined);
    await narrator?.close();
  });

  async function seat(roomName: string, options: Record<string, unknown>, roomId?: string): Promise<Seat> {
    const sdk = new SdkClient(endpoint);
    const room = roomId ? await sdk.joinById(roomId, options) : await sdk.create(roomName, options);
    const s = new Seat(room);
    seats.push(s);
    return s;
  }

  it('narrates from server-side game logic, keeps the host\'s NarrationState field current and its own state untouched', async () => {
    const gm = await seat('dungeon', { name: 'Mira', gm: true });
    const captions: string[] = [];
    gm.room.onStateChange((s: any) => {
      if (s.story?.caption && captions[captions.length - 1] !== s.story.caption) captions.push(s.story.caption);
    });
    gm.room.send('attack', { damage: 7, who: 'Ana' });
    const { narrationId } = await gm.next('host:attacked');
    const report = await gm.end(narrationId);
    expect(report.trigger).to.equal('game:attack');
    expect(report.text).to.equal('Ana hits the ogre for 7.');
    expect(report.audioMs).to.be.greaterThan(800);
    expect(report.cancelled).to.equal(false);
    // The game's own state: exactly what its rule did.
    expect(gm.room.state.ogreHp).to.equal(23);
    expect(gm.room.state.lastAttack).to.equal('Ana');
    // The narration's part of the state followed the audio, and the same captions came as messages.
    expect(captions).to.deep.equal(['Ana hits the ogre for 7.']);
    expect(gm.of('narration:caption').map((c) => c.text)).to.deep.equal(['Ana hits the ogre for 7.']);
    expect(gm.of('narration:start').map((m) => m.narrationId)).to.include(narrationId);
    expect(gm.of('narration:status').map((m) => m.status)).to.include.members(['speaking', 'idle']);
    await new Promise((r) => setTimeout(r, 50));
    expect(gm.room.state.story.caption).to.equal('');
    expect(gm.room.state.story.status).to.equal('idle');
    // The server-side `done` resolves with the same report.
    const serverSide = seen.dungeonReports.find((r) => r.id === narrationId);
    expect(serverSide?.audioMs).to.equal(report.audioMs);
  });

  it('sends status and captions as messages to a room whose state has no narration field', async () => {
    const host = await seat('arena', { name: 'Zed' });
    host.room.send('announce', { text: 'Round one. Fight!' });
    const { narrationId } = await host.next('host:announced');
    const report = await host.end(narrationId);
    expect(report.audioMs).to.be.greaterThan(500);
    expect(host.of('narration:caption').map((c) => c.text)).to.deep.equal(['Round one. Fight!']);
    expect(host.of('narration:status').map((m) => m.status)).to.include('speaking');
    expect(Object.keys(host.room.state.toJSON())).to.deep.equal(['round']);
  });

  it('leaves the host room\'s own "narrate" and "event" handlers alone', async () => {
    const gm = await seat('dungeon', { name: 'Mira', gm: true });
    gm.room.send('narrate', { text: 'For the host.' });
    gm.room.send('event', { type: 'whatever' });
    await gm.next('host:narrate');
    await gm.next('host:event');
    expect(seen.hostNarrate).to.be.greaterThan(0);
    expect(seen.hostEvent).to.be.greaterThan(0);
    expect(gm.of('narration:accepted')).to.deep.equal([]);
    // The namespaced messages still reach the narration.
    gm.room.send('narration:narrate', { text: 'For the table.' });
    const accepted = await gm.next('narration:accepted');
    expect(accepted.type).to.equal('narration:narrate');
    expect((await gm.end(accepted.narrationId)).audioMs).to.be.greaterThan(300);
  });

  it('lets the game decide roles: a player\'s DM command is refused, the game master\'s is accepted; player events obey the rules', async () => {
    const gm = await seat('dungeon', { name: 'Mira', gm: true });
    const player = await seat('dungeon', { name: 'Ana' }, gm.room.roomId);
    player.room.send('narration:narrate', { text: 'I am the DM now.' });
    const refused = await player.next('narration:error');
    expect(refused).to.deep.include({ type: 'narration:narrate', code: 'not_allowed' });
    player.room.send('narration:event', { type: 'trap', who: 'Ana' });
    const accepted = await player.next('narration:accepted');
    const report = await gm.end(accepted.narrationId);
    expect(report.text).to.equal('A trap springs under Ana!');
    expect(report.trigger).to.equal('event:trap');
    // The room's rules replace the config's: a default rule is unknown here.
    player.room.send('narration:event', { type: 'dice_roll', name: 'Ana', dice: 'd20', result: 3 });
    const unknown = await player.next('narration:error', 1);
    expect(unknown.code).to.equal('unknown_event');
  });

  it('seats the first to join as DM when the game gives no role callback', async () => {
    const first = await seat('arena', { name: 'Zed' });
    const second = await seat('arena', { name: 'Yara' }, first.room.roomId);
    second.room.send('narration:pause', {});
    expect((await second.next('narration:error')).code).to.equal('not_allowed');
    first.room.send('narration:narrate', { text: 'Zed speaks for the arena.' });
    const accepted = await first.next('narration:accepted');
    expect((await second.end(accepted.narrationId)).cancelled).to.equal(false);
  });

  it('gives a client that joins mid-narration the status and caption at once', async () => {
    const gm = await seat('dungeon', { name: 'Mira', gm: true });
    gm.room.send('narration:narrate', { text: LONG });
    const { narrationId } = await gm.next('narration:accepted');
    await gm.next('narration:caption');
    const late = await seat('dungeon', { name: 'Bo' }, gm.room.roomId);
    const status = await late.next('narration:status');
    expect(status.status).to.be.oneOf(['speaking', 'buffering']);
    const caption = await late.next('narration:caption');
    expect(caption.narrationId).to.equal(narrationId);
    expect(LONG).to.contain(caption.text);
    gm.room.send('narration:cancel', {});
    expect((await gm.end(narrationId)).cancelled).to.equal(true);
  });

  it('narrates two room types at once; cancelling one leaves the other playing', async () => {
    const gm = await seat('dungeon', { name: 'Mira', gm: true });
    const host = await seat('arena', { name: 'Zed' });
    gm.room.send('narration:narrate', { text: LONG });
    host.room.send('narration:narrate', { text: LONG });
    const [a, b] = await Promise.all([gm.next('narration:accepted'), host.next('narration:accepted')]);
    await Promise.all([gm.next('narration:caption'), host.next('narration:caption')]);
    gm.room.send('narration:cancel', {});
    const cancelled = await gm.end(a.narrationId);
    expect(cancelled.cancelled).to.equal(true);
    expect(cancelled.cancelLatencyMs).to.be.a('number');
    const played = await host.end(b.narrationId);
    expect(played.cancelled).to.equal(false);
    expect(played.underruns).to.equal(0);
    expect(played.audioMs).to.be.greaterThan(cancelled.audioMs + 2000);
  });

  it('cancels only the named narration: another open stream goes on', async () => {
    const gm = await seat('dungeon', { name: 'Mira', gm: true });
    gm.room.send('narration:narrate_start', {});
    const stream = await gm.next('narration:accepted');
    gm.room.send('narration:narrate', { text: 'A separate line.' });
    const other = await gm.next('narration:accepted', 1);
    gm.room.send('narration:cancel', { narrationId: other.narrationId });
    gm.room.send('narration:narrate_delta', { text: 'The stream goes on after the other was cancelled.' });
    gm.room.send('narration:narrate_end', {});
    const report = await gm.end(stream.narrationId);
    expect(report.cancelled).to.equal(false);
    expect(report.text).to.equal('The stream goes on after the other was cancelled.');
    expect((await gm.end(other.narrationId)).cancelled).to.equal(true);
    expect(gm.of('narration:error')).to.deep.equal([]);
  });

  it('throws typed errors for bad server-side calls, and the room and its narration carry on', async () => {
    const gm = await seat('dungeon', { name: 'Mira', gm: true });
    gm.room.send('narration:narrate', { text: LONG });
    const playing = await gm.next('narration:accepted');
    await gm.next('narration:caption');
    gm.room.send('bad-calls', {});
    const { codes } = await gm.next('host:bad-calls');
    expect(codes).to.deep.equal(['empty_text', 'empty_text', 'text_too_long', 'unknown_voice', 'unknown_event', 'bad_event', 'bad_request', 'bad_request']);
    const report = await gm.end(playing.narrationId);
    expect(report.cancelled, 'the narration playing was not touched').to.equal(false);
    expect(report.underruns).to.equal(0);
    gm.room.send('attack', { damage: 2, who: 'Bo' });
    const { narrationId } = await gm.next('host:attacked');
    expect((await gm.end(narrationId)).audioMs).to.be.greaterThan(500);
  });

  it('costs nothing for rooms nobody joins: 300 created without a join hold no playout slot, record nothing, and go after their seat reservation', async () => {
    const roomsBefore = narrator.roomCount;
    const filesBefore = readdirSync(recordingsDir).length;
    const http = endpoint.replace('ws:', 'http:');
    const created = await Promise.all(Array.from({ length: 300 }, () =>
      fetch(`${http}/matchmake/create/arena`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })
        .then(async (r) => ({ status: r.status, roomId: ((await r.json()) as { roomId?: string }).roomId }))));
    expect(created.filter((c) => c.status !== 200), 'refused creations').to.deep.equal([]);
    expect(narrator.roomCount, 'playout slots taken').to.equal(roomsBefore);
    expect(readdirSync(recordingsDir), 'recordings').to.have.length(filesBefore);
    // Before, these 300 took all 256 playout slots and the next table was refused.
    const host = await seat('arena', { name: 'Zed' });
    host.room.send('narration:narrate', { text: 'The stands are empty, but the arena is ours.' });
    const accepted = await host.next('narration:accepted');
    expect((await host.end(accepted.narrationId)).audioMs).to.be.greaterThan(500);
    expect(readdirSync(recordingsDir)).to.include(`room-${host.room.roomId}.wav`).and.have.length(filesBefore + 1);
    // Colyseus disposes a room whose reserved seat is never taken (COLYSEUS_SEAT_RESERVATION_TIME, 15 s).
    const ids = new Set(created.map((c) => c.roomId));
    const until = Date.now() + 30_000;
    while ((await matchMaker.query({ name: 'arena' })).some((r) => ids.has(r.roomId))) {
      if (Date.now() > until) throw new Error('the unjoined rooms were not disposed within 30 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(readdirSync(recordingsDir), 'nothing recorded for the disposed rooms').to.have.length(filesBefore + 1);
  });

  it('narrates from the game room\'s own onCreate before anyone joins (the room opens on its first narration)', async () => {
    const res = await fetch(`${endpoint.replace('ws:', 'http:')}/matchmake/create/herald`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    const { roomId } = (await res.json()) as { roomId: string };
    const report = await seen.heralds.get(roomId)!;
    expect(report).to.include({ cancelled: false, error: null, trigger: 'server:text' });
    expect(report.audioMs).to.be.greaterThan(1000);
    expect(readdirSync(recordingsDir)).to.include(`room-${roomId}.wav`);
  });

  it('refuses a bad rules table when the room is built, naming the key', () => {
    expect(() => narrator.roomPlugin({ rules: { trap: { template: '' } } })).to.throw(ConfigError, /rules\.trap\.template/);
    expect(() => narrator.roomPlugin({ rules: { 'Bad-Type': { template: 'x' } } })).to.throw(ConfigError, /rules/);
  });
});

describe('narration room plugin after the narrator closed', function () {
  this.timeout(60_000);

  it('refuses narration with `closed` and leaves the room running', async () => {
    const narrator = await createNarrator(
      { plugins: { 'tts-espeak': {} }, sinks: ['wav'], recordingsDir: mkdtempSync(join(tmpdir(), 'vrpg-plugin-closed-')) },
      { log: createLogger('silent') },
    );
    const room = await narrator.openRoom('closing');
    const n = room.narrate(LONG);
    await narrator.close();
    const report = await n.done;
    expect(report.cancelled).to.equal(true);
    expect(() => room.narrate('Too late.')).to.throw(NarrationError).with.property('code', 'closed');
    expect(() => room.cancel()).to.throw(NarrationError).with.property('code', 'closed');
    await narrator.openRoom('after').then(
      () => expect.fail('opened a room on a closed narrator'),
      (err: unknown) => expect((err as NarrationError).code).to.equal('closed'),
    );
  });
});
