import 'reflect-metadata';
import { expect } from 'chai';
import { pino } from 'pino';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../server/config/load-config.ts';
import { createLogger } from '../../../server/observability/log.ts';
import { startTableServer, type TableServer } from '../../../server/app.ts';
import { TableClient, type NarrationCommand } from '../../../server/cli/table-client.ts';
import { NodeBridgeClient } from '../../../game-bridge/node/bridge-client.ts';

const LONG =
  'The road winds down into the valley, and the rain grows heavier with every mile. ' +
  'Lanterns flicker in the windows of the village below, while a bell tolls somewhere in the mist, slow and patient, ' +
  'as if it has been ringing for a hundred years and will ring for a hundred more.';

/** The real thing: a Colyseus 0.18 server in this process and official @colyseus/sdk clients over WebSockets. */
describe('table room (real Colyseus server, SDK clients, espeak-ng engine)', function () {
  this.timeout(60_000);
  let app: TableServer;
  let endpoint: string;
  const clients: TableClient[] = [];

  before(async () => {
    const { config } = loadConfig({
      env: {},
      overrides: {
        port: 0,
        host: '127.0.0.1',
        sinks: ['wav'],
        plugins: { 'tts-espeak': {} },
        recordingsDir: mkdtempSync(join(tmpdir(), 'vrpg-room-')),
        'limits.maxTextChars': 5000,
      },
    });
    app = await startTableServer(config, createLogger('silent'));
    endpoint = `ws://127.0.0.1:${app.port}`;
  });

  after(async () => {
    for (const c of clients) await c.leave();
    await app?.close();
  });

  async function table(): Promise<{ dm: TableClient; player: TableClient }> {
    const dm = await TableClient.create(endpoint, { name: 'Mira' });
    const player = await TableClient.join(endpoint, dm.room.roomId, { name: 'Ana' });
    clients.push(dm, player);
    return { dm, player };
  }

  it('makes the first to join the DM and the next a player', async () => {
    const { dm, player } = await table();
    await player.waitForState((s) => s.players?.size === 2);
    expect(player.room.state.players.get(dm.sessionId).role).to.equal('dm');
    expect(player.room.state.players.get(player.sessionId).role).to.equal('player');
  });

  it('refuses to seat someone with a bad name, saying why', async () => {
    const { dm } = await table();
    await dm.waitForState((s) => s.players?.size === 2);
    for (const [options, expected] of [
      [{}, /name/],
      [{ name: '' }, /name is empty/],
      [{ name: 'x'.repeat(41) }, /longer than 40/],
      [{ name: 'bad\u0000name' }, /control characters/],
      // A lone surrogate cannot be encoded as UTF-8: seated, it broke every other client's state decoding.
      [{ name: 'Bob\uD800' }, /name contains a lone UTF-16 surrogate/],
      [{ name: 'Ana\u202Eevil' }, /name contains bidirectional formatting characters/],
      [{ name: ' mira ' }, /name "mira" is taken at this table/],
      [{ name: 'Eve', dmSecret: 'guess' }, /wrong dmSecret/],
    ] as const) {
      let message = '';
      try {
        clients.push(await TableClient.join(endpoint, dm.room.roomId, options as { name: string }));
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, JSON.stringify(options)).to.match(expected);
    }
    expect(dm.room.state.players.size).to.equal(2); // the DM and the player table() seated
  });

  it('narrates a game event from the rules and reports its audio', async () => {
    const { dm, player } = await table();
    const reply = await player.request('event', { type: 'dice_roll', name: 'Ana', dice: '2d8+4', result: 13 });
    expect(reply.ok, JSON.stringify(reply)).to.equal(true);
    const report = await dm.waitForEnd((reply as { narrationId: string }).narrationId);
    expect(report.trigger).to.equal('event:dice_roll');
    expect(report.text).to.equal('Ana rolls 2d8+4 and gets 13.');
    expect(report.audioMs).to.be.greaterThan(1000);
    expect(report.ttfaMs).to.be.a('number').and.greaterThan(0);
    expect(report.underruns).to.equal(0);
    expect(report.cancelled).to.equal(false);
  });

  it('shows the caption of the chunk being heard', async () => {
    const { dm } = await table();
    const captions: string[] = [];
    dm.room.onStateChange((s: any) => {
      if (s.narration.caption && captions[captions.length - 1] !== s.narration.caption) captions.push(s.narration.caption);
    });
    const reply = await dm.request('narrate', { text: LONG });
    await dm.waitForEnd((reply as { narrationId: string }).narrationId);
    expect(captions.length).to.be.greaterThan(1);
    expect(captions.join('')).to.equal(LONG);
  });

  it('answers every bad message with an error while the room keeps narrating', async () => {
    const { dm, player } = await table();
    const reply = await dm.request('narrate', { text: LONG });
    expect(reply.ok).to.equal(true);
    const id = (reply as { narrationId: string }).narrationId;
    await dm.waitForState((s) => s.narration.status === 'speaking');

    const bad: Array<[TableClient, NarrationCommand, unknown, RegExp]> = [
      [dm, 'narrate', { text: 42 }, /text must be a string/],
      [dm, 'narrate', { text: '   ' }, /text is empty/],
      [dm, 'narrate', { text: 'x'.repeat(1024 * 1024) }, /longer than 5000 characters/],
      [dm, 'narrate', { text: 'bell\u0007ring' }, /control characters/],
      [dm, 'event', { type: 'summon_dragon' }, /unknown event type "summon_dragon"/],
      [dm, 'event', 'not an object', /expected object/i],
      [player, 'narrate', { text: 'I am the DM now.' }, /only the DM may send "narration:narrate"/],
      [player, 'cancel', {}, /only the DM may send "narration:cancel"/],
      [player, 'event', { type: 'combat_start', enemies: 'x' }, /players may not send "combat_start"/],
      [dm, 'teleport' as NarrationCommand, {}, /unknown message type; allowed: narration:event/],
      [dm, 'narrate_delta', { text: 'orphan' }, /no open stream/],
    ];
    for (const [client, type, payload, expected] of bad) {
      const r = await client.request(type, payload);
      expect(r.ok, `${type} ${JSON.stringify(payload).slice(0, 40)}`).to.equal(false);
      expect((r as { message: string }).message).to.match(expected);
    }
    expect(dm.room.state.narration.status).to.be.oneOf(['speaking', 'buffering']);
    const report = await dm.waitForEnd(id);
    expect(report.cancelled).to.equal(false);
    expect(report.underruns).to.equal(0);
    expect(report.audioMs).to.be.greaterThan(5000);
  });

  it('narrates in a voice the DM names, and refuses a voice the engine lacks before cancelling anything', async () => {
    const { dm } = await table();
    const refused = await dm.request('narrate', { text: 'Hello there.', voice: 'xx-nowhere' });
    expect(refused.ok).to.equal(false);
    expect((refused as { message: string }).message).to.match(/voice "xx-nowhere"/);
    const accepted = (await dm.request('narrate', { text: 'The old sailor squints at you.', voice: 'en-gb-x-rp' })) as { ok: boolean; narrationId: string };
    expect(accepted.ok).to.equal(true);
    const report = await dm.waitForEnd(accepted.narrationId);
    expect(report.audioMs).to.be.greaterThan(500);
    const badName = await dm.request('narrate', { text: 'x', voice: '../etc/passwd' });
    expect((badName as { message: string }).message).to.match(/voice/);
  });

  it('narrates streamed text delta by delta', async () => {
    const { dm } = await table();
    const start = await dm.request('narrate_start', {});
    expect(start.ok).to.equal(true);
    const text = 'The door creaks open. Beyond it, a staircase descends into darkness, and cold air rushes up to meet you.';
    for (let i = 0; i < text.length; i += 3) dm.send('narrate_delta', { text: text.slice(i, i + 3) });
    dm.send('narrate_end');
    const report = await dm.waitForEnd((start as { narrationId: string }).narrationId);
    expect(report.text).to.equal(text);
    expect(report.trigger).to.equal('dm:stream');
    expect(report.chunks).to.be.greaterThan(1);
    expect(report.audioMs).to.be.greaterThan(2000);
  });

  it('interrupts what is playing when an interrupt event arrives', async () => {
    const { dm } = await table();
    const long = (await dm.request('narrate', { text: LONG })) as { narrationId: string };
    await dm.waitForState((s) => s.narration.status === 'speaking');
    const combat = (await dm.request('event', { type: 'combat_start', enemies: 'Two wolves' })) as { narrationId: string };
    const first = await dm.waitForEnd(long.narrationId);
    expect(first.cancelled).to.equal(true);
    expect(first.cancelLatencyMs).to.be.a('number');
    const second = await dm.waitForEnd(combat.narrationId);
    expect(second.cancelled).to.equal(false);
    expect(second.audioMs).to.be.greaterThan(1000);
  });

  it('pauses and resumes', async () => {
    const { dm } = await table();
    const r = (await dm.request('narrate', { text: LONG })) as { narrationId: string };
    await dm.waitForState((s) => s.narration.status === 'speaking');
    dm.send('pause');
    await dm.waitForState((s) => s.narration.status === 'paused');
    dm.send('resume');
    await dm.waitForState((s) => s.narration.status === 'speaking');
    const report = await dm.waitForEnd(r.narrationId);
    expect(report.paused).to.equal(true);
    expect(report.cancelled).to.equal(false);
  });

  it('cancels one room without touching another', async () => {
    const a = await table();
    const b = await table();
    const ra = (await a.dm.request('narrate', { text: LONG })) as { narrationId: string };
    const rb = (await b.dm.request('narrate', { text: 'A raven lands on the windowsill and watches you in silence.' })) as { narrationId: string };
    await a.dm.waitForState((s) => s.narration.status === 'speaking');
    a.dm.send('cancel');
    const ca = await a.dm.waitForEnd(ra.narrationId);
    expect(ca.cancelled).to.equal(true);
    const cb = await b.dm.waitForEnd(rb.narrationId);
    expect(cb.cancelled).to.equal(false);
    expect(cb.underruns).to.equal(0);
    expect(cb.audioMs).to.be.greaterThan(1500);
    // The cancelled room narrates again.
    const next = (await a.dm.request('narrate', { text: 'The silence returns.' })) as { narrationId: string };
    const rn = await a.dm.waitForEnd(next.narrationId);
    expect(rn.cancelled).to.equal(false);
    expect(rn.audioMs).to.be.greaterThan(500);
  });

  it('disconnects a client that floods messages (4002) while another room narrates on untouched', async () => {
    const { dm } = await table();
    const other = await TableClient.create(endpoint, { name: 'Bystander' });
    clients.push(other);
    const reply = await other.request('narrate', { text: LONG });
    const id = (reply as { narrationId: string }).narrationId;
    const flooder = await TableClient.join(endpoint, dm.room.roomId, { name: 'Flood' }); // not in `clients`: it is gone
    const left = new Promise<number>((resolve) => flooder.room.onLeave((code: number) => resolve(code)));
    for (let i = 0; i < 2000; i++) flooder.room.send('spam', { i });
    expect(await left).to.equal(4002);
    const report = await other.waitForEnd(id, 60_000);
    expect(report).to.include({ cancelled: false, underruns: 0 });
    // The flooder's room and its DM are fine.
    expect(dm.room.connection.isOpen).to.equal(true);
    await dm.waitForState((s) => s.players?.size === 2);
  });

  it('serves /metrics with counts and no room ids (room ids are join keys)', async () => {
    const { dm } = await table();
    const reply = await dm.request('narrate', { text: 'The lanterns flicker.' });
    await dm.waitForEnd((reply as { narrationId: string }).narrationId);
    const text = await (await fetch(`http://127.0.0.1:${app.port}/metrics`)).text();
    expect(text).to.match(/^vrpg_rooms_open [1-9]\d*$/m);
    expect(text).to.match(/^vrpg_fifo_depth_max_ms \d/m);
    expect(text).to.match(/^vrpg_narrations_total\{outcome="played"\} [1-9]/m);
    expect(text).to.not.contain(dm.room.roomId);
  });

  it('limits a player to limits.playerEventsPerMinute events (rate_limited) and never the DM', async () => {
    const { dm, player } = await table();
    const codes: string[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await player.request('event', { type: 'dice_roll', name: 'Ana', dice: '1d4', result: i % 4 + 1 });
      codes.push(r.ok ? 'ok' : ((r as { message: string }).message.startsWith('too many events') ? 'rate_limited' : (r as { message: string }).message));
    }
    // A burst of 20 (the default budget), then refused; the DM's command still goes through.
    expect(codes.slice(0, 20).every((c) => c === 'ok'), codes.join(',')).to.equal(true);
    expect(codes.slice(20), codes.join(',')).to.deep.equal(['rate_limited', 'rate_limited', 'rate_limited', 'rate_limited']);
    const cancel = dm.request('narrate', { text: 'Enough dice.', }, 10_000);
    expect((await cancel).ok).to.equal(true);
    dm.send('cancel');
  });

  it('refuses a matchmaking request body over 16 KiB (413) without reading it; joins go on', async () => {
    const junk = JSON.stringify({ name: 'Eve', junk: 'x'.repeat(1024 * 1024) });
    const res = await fetch(`http://127.0.0.1:${app.port}/matchmake/create/table`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: junk });
    expect(res.status).to.equal(413);
    expect(await res.json()).to.deep.equal({ error: 'request body over 16384 bytes' });
    const ok = await TableClient.create(endpoint, { name: 'Zoe' });
    clients.push(ok);
    expect(ok.room.roomId).to.be.a('string');
  });
});

describe('table server shutdown and logging (real Colyseus server, SDK and bridge clients)', function () {
  this.timeout(60_000);

  it('closes SDK clients with 4001 (server shutdown) and bridge clients with 1001, not a plain leave', async () => {
    const { config } = loadConfig({
      env: {},
      overrides: { port: 0, host: '127.0.0.1', sinks: ['wav'], plugins: { 'tts-espeak': {} }, recordingsDir: mkdtempSync(join(tmpdir(), 'vrpg-stop-')) },
    });
    const app = await startTableServer(config, createLogger('silent'));
    const sdk = await TableClient.create(`ws://127.0.0.1:${app.port}`, { name: 'Mira' });
    const left = new Promise<number>((resolve) => sdk.room.onLeave((code: number) => resolve(code)));
    const bridge = await NodeBridgeClient.connect(`ws://127.0.0.1:${app.port}/bridge`, { type: 'join', room: sdk.room.roomId, name: 'Gd' });
    await app.close();
    expect(await left).to.equal(4001);
    expect(await bridge.closed).to.deep.equal({ code: 1001, reason: 'server shutting down' });
  });

  it('logs a refused join as one line through the server\'s logger, not a stack on the console', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const { config } = loadConfig({
      env: {},
      overrides: { port: 0, host: '127.0.0.1', sinks: ['wav'], plugins: { 'tts-espeak': {} }, dmSecret: 'sesame', recordingsDir: mkdtempSync(join(tmpdir(), 'vrpg-log-')) },
    });
    const app = await startTableServer(config, log);
    const printed: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void printed.push(args);
    try {
      const dm = await TableClient.create(`ws://127.0.0.1:${app.port}`, { name: 'Mira' });
      const refused = await TableClient.join(`ws://127.0.0.1:${app.port}`, dm.room.roomId, { name: 'Eve', dmSecret: 'guess' }).then(() => null, (e: Error) => e.message);
      expect(refused).to.match(/wrong dmSecret/);
      await dm.leave();
    } finally {
      console.error = consoleError;
      await app.close();
    }
    const colyseus = lines.map((l) => JSON.parse(l) as { part?: string; msg: string }).filter((l) => l.part === 'colyseus');
    expect(colyseus.some((l) => /wrong dmSecret/.test(l.msg)), lines.join('')).to.equal(true);
    expect(colyseus.every((l) => !l.msg.includes('\n')), 'one line each').to.equal(true);
    expect(printed.filter((p) => /wrong dmSecret/.test(String(p))), 'printed on the console').to.deep.equal([]);
  });
});
