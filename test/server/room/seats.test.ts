import 'reflect-metadata';
import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { Client } from '@colyseus/sdk';
import { startTableServer, type TableServer } from '../../../server/app.ts';
import { createLogger } from '../../../server/observability/log.ts';
import { metricsRefusal } from '../../../server/observability/metrics-access.ts';
import { TableClient, type TableJoinOptions } from '../../../server/cli/table-client.ts';
import { instantConfig } from '../../fixtures/instant-config.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The reconnection window these servers keep a dropped seat, ms (config `table.reconnectWindowMs`). */
const WINDOW_MS = 4000;

/** Cuts a client's WebSocket without a close frame, as a lost network does (the server sees 1006). */
function dropSocket(c: TableClient): void {
  (c.room.connection.transport as unknown as { ws: { terminate(): void } }).ws.terminate();
}

/** Seats, reconnection and table codes (issue 11) with a real Colyseus server and official SDK clients. */
describe('table seats and reconnection (real Colyseus server, SDK clients, instant engine)', function () {
  this.timeout(60_000);
  let app: TableServer;
  const clients: TableClient[] = [];

  // Colyseus's matchmaker is one per process: one server at a time, each test starting the one it needs.
  beforeEach(async () => {
    app = await startTableServer(instantConfig({ 'table.reconnectWindowMs': WINDOW_MS }), createLogger('silent'));
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.leave()));
    await app?.close();
  });

  const endpoint = (a: TableServer) => `ws://127.0.0.1:${a.port}`;

  async function create(options: TableJoinOptions, a = app): Promise<TableClient> {
    const c = await TableClient.create(endpoint(a), options);
    c.room.reconnection.minUptime = 0; // the SDK's default (5 s) refuses to reconnect a young room
    clients.push(c);
    return c;
  }

  async function join(roomId: string, options: TableJoinOptions, a = app): Promise<TableClient> {
    const c = await TableClient.join(endpoint(a), roomId, options);
    c.room.reconnection.minUptime = 0;
    clients.push(c);
    return c;
  }

  async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(20);
    }
  }

  const roleIn = (viewer: TableClient, of: TableClient) => viewer.room.state.players?.get(of.sessionId)?.role;

  it('seats the creator as DM and tells everyone which seat they got and why', async () => {
    const dm = await create({ name: 'Mira', seat: 'dm' });
    const asked = await join(dm.room.roomId, { name: 'Bo', seat: 'dm' });
    const plain = await join(dm.room.roomId, { name: 'Ana' });
    await until('seat answers', () => dm.seats.length > 0 && asked.seats.length > 0 && plain.seats.length > 0);
    expect(dm.seats[0]).to.deep.equal({ role: 'dm', reason: 'you opened the table' });
    expect(asked.seats[0]).to.deep.equal({ role: 'player', reason: 'the DM seat is taken (Mira)' });
    expect(plain.seats[0]).to.deep.equal({ role: 'player', reason: 'the DM seat is not given to later arrivals' });
    const refused = await asked.request('narrate', { text: 'I am the DM now.' });
    expect(refused).to.deep.include({ ok: false });
  });

  it('keeps a dropped DM\'s seat through the reconnection window and gives it back on reconnect; a newcomer meanwhile is a player', async () => {
    const dm = await create({ name: 'Mira' });
    const player = await join(dm.room.roomId, { name: 'Ana' });
    await player.waitForState((s) => s.players?.size === 2);
    const reconnected = new Promise<void>((resolve) => dm.room.onReconnect(() => resolve()));
    dropSocket(dm);
    await player.waitForState((s) => s.players?.get(dm.sessionId)?.connected === false);
    // While the DM is away: the seat is held, a newcomer asking for it gets a player seat.
    const newcomer = await join(dm.room.roomId, { name: 'Zed', seat: 'dm' });
    await until('the newcomer\'s seat', () => newcomer.seats.length > 0);
    expect(newcomer.seats[0]!.role).to.equal('player');
    // The SDK reconnects by itself with its reconnection token: same session, same seat.
    await reconnected;
    await player.waitForState((s) => s.players?.get(dm.sessionId)?.connected === true);
    expect(roleIn(player, dm)).to.equal('dm');
    await until('the reconnected seat answer', () => dm.seats.length === 2);
    expect(dm.seats[1]).to.deep.equal({ role: 'dm', reason: 'you reconnected to your seat' });
    const reply = await dm.request('narrate', { text: 'Back at the table.' });
    expect(reply.ok, JSON.stringify(reply)).to.equal(true);
    await dm.waitForEnd((reply as { narrationId: string }).narrationId);
  });

  it('after the window gives the DM seat to the earliest-seated player, never to whoever arrives next', async () => {
    const dm = await create({ name: 'Mira' });
    dm.room.reconnection.enabled = false; // this DM never comes back
    const first = await join(dm.room.roomId, { name: 'Ana' });
    const second = await join(dm.room.roomId, { name: 'Bo' });
    await first.waitForState((s) => s.players?.size === 3);
    const dmSession = dm.sessionId;
    const t0 = Date.now();
    dropSocket(dm);
    clients.splice(clients.indexOf(dm), 1);
    await first.waitForState((s) => s.players?.get(dmSession)?.connected === false);
    const late = await join(dm.room.roomId, { name: 'Cai' });
    await first.waitForState((s) => !s.players?.has(dmSession), WINDOW_MS + 10_000);
    // Not before the window: the seat was held for its owner.
    expect(Date.now() - t0).to.be.at.least(WINDOW_MS - 200);
    await first.waitForState((s) => s.players?.get(first.sessionId)?.role === 'dm');
    expect(roleIn(first, second)).to.equal('player');
    expect(roleIn(first, late)).to.equal('player');
    await until('the promotion notice', () => first.seats.length === 2);
    expect(first.seats[1]).to.deep.equal({ role: 'dm', reason: 'the DM left; you were seated longest' });
    expect((await first.request('narrate', { text: 'I lead now.' })).ok).to.equal(true);
  });

  it('gives the DM seat away on a handover, and refuses a handover from a player or to no one', async () => {
    const dm = await create({ name: 'Mira' });
    const ana = await join(dm.room.roomId, { name: 'Ana' });
    await ana.waitForState((s) => s.players?.size === 2);
    const handover = (from: TableClient, sessionId: unknown) =>
      new Promise<string | null>((resolve) => {
        const before = from.errors.length;
        from.room.send('table:handover', { sessionId });
        const t = setInterval(() => {
          if (from.errors.length > before) resolve((clearInterval(t), from.errors.at(-1)!.message));
        }, 20);
        setTimeout(() => resolve((clearInterval(t), null)), 1000);
      });
    expect(await handover(ana, dm.sessionId)).to.equal('only the DM may hand the DM seat over');
    expect(await handover(dm, 'nobody')).to.match(/no one with session id "nobody" is seated/);
    expect(await handover(dm, 42)).to.match(/sessionId must be a string/);
    dm.room.send('table:handover', { sessionId: ana.sessionId });
    await ana.waitForState((s) => s.players?.get(ana.sessionId)?.role === 'dm' && s.players?.get(dm.sessionId)?.role === 'player');
    await until('both notices', () => ana.seats.length === 2 && dm.seats.length === 2);
    expect(ana.seats[1]).to.deep.equal({ role: 'dm', reason: 'Mira handed you the DM seat' });
    expect(dm.seats[1]).to.deep.equal({ role: 'player', reason: 'you handed the DM seat to Ana' });
    expect((await dm.request('narrate', { text: 'Still mine?' })).ok).to.equal(false);
    expect((await ana.request('narrate', { text: 'Mine now.' })).ok).to.equal(true);
  });

  /** Swaps the test's server for one with a dmSecret and a metricsToken. */
  async function withSecret(): Promise<TableServer> {
    await app.close();
    app = await startTableServer(instantConfig({ dmSecret: 'sesame', metricsToken: 'a-long-metrics-token' }), createLogger('silent'));
    return app;
  }

  it('with a dmSecret refuses a second DM presenting it while the first is seated, seats them as a player when they ask, and never gives the seat without the secret', async () => {
    const secretApp = await withSecret();
    const dm = await create({ name: 'Mira', dmSecret: 'sesame' }, secretApp);
    const refused = await TableClient.join(endpoint(secretApp), dm.room.roomId, { name: 'Rex', dmSecret: 'sesame' }).then(
      (c) => (clients.push(c), 'seated'),
      (e: Error) => e.message,
    );
    expect(refused).to.match(/the DM seat is taken \(Mira\): the DM can hand it over, or join as a player/);
    const asPlayer = await join(dm.room.roomId, { name: 'Rex', dmSecret: 'sesame', seat: 'player' }, secretApp);
    await asPlayer.waitForState((s) => s.players?.size === 2);
    expect(roleIn(asPlayer, dm)).to.equal('dm');
    expect(roleIn(asPlayer, asPlayer)).to.equal('player');
    // Without the secret the DM seat is never given, even when free.
    const noSecret = await join(dm.room.roomId, { name: 'Ana', seat: 'dm' }, secretApp);
    await until('seat answer', () => noSecret.seats.length > 0);
    expect(noSecret.seats[0]).to.deep.equal({ role: 'player', reason: 'the DM seat needs the DM secret' });
  });

  it('never seats a stranger in an existing table by room type, and asks for the table code when one is set', async () => {
    const dm = await create({ name: 'Mira', tableCode: 'FROG-42' });
    const stranger = await new Client(endpoint(app)).joinOrCreate('table', { name: 'Eve' });
    try {
      expect(stranger.roomId, 'joinOrCreate("table") made its own table').to.not.equal(dm.room.roomId);
    } finally {
      await stranger.leave(true);
    }
    const tries: Array<[TableJoinOptions, RegExp | null]> = [
      [{ name: 'Eve' }, /this table needs its table code \(tableCode\)/],
      [{ name: 'Eve', tableCode: 'TOAD-42' }, /wrong table code/],
      [{ name: 'Eve', junk: 'x'.repeat(10_000) } as TableJoinOptions, /join options: Unrecognized key: "junk"/],
      [{ name: 'Eve', junk: 'x'.repeat(500_000) } as TableJoinOptions, /request body over 16384 bytes/],
      [{ name: 'Eve', seat: 'god' as 'dm' }, /seat must be "dm" or "player"/],
      [{ name: 'Ana', tableCode: 'FROG-42' }, null],
    ];
    for (const [options, expected] of tries) {
      const outcome = await TableClient.join(endpoint(app), dm.room.roomId, options).then(
        (c) => (clients.push(c), 'seated'),
        (e: Error) => e.message,
      );
      if (expected) expect(outcome, JSON.stringify(options).slice(0, 80)).to.match(expected);
      else expect(outcome).to.equal('seated');
    }
  });

  it('serves /metrics only with the bearer token when metricsToken is set', async () => {
    const url = `http://127.0.0.1:${(await withSecret()).port}/metrics`;
    const without = await fetch(url);
    expect(without.status).to.equal(401);
    expect(((await without.json()) as { error: string }).error).to.match(/Authorization: Bearer/);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).to.equal(401);
    const ok = await fetch(url, { headers: { authorization: 'Bearer a-long-metrics-token' } });
    expect(ok.status).to.equal(200);
    expect(await ok.text()).to.match(/^vrpg_rooms_open \d+$/m);
  });

  it('without metricsToken answers /metrics to loopback peers only', () => {
    const req = (remoteAddress: string) => ({ headers: {}, socket: { remoteAddress } }) as unknown as IncomingMessage;
    for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) expect(metricsRefusal(req(a), undefined), a).to.equal(null);
    for (const a of ['192.168.1.20', '::ffff:10.0.0.2', 'fe80::1']) expect(metricsRefusal(req(a), undefined)?.status, a).to.equal(403);
  });
});
