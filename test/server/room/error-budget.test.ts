import 'reflect-metadata';
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import WebSocket from 'ws';
import { matchMaker } from '@colyseus/core';
import { loadConfig } from '../../../server/config/load-config.ts';
import { createLogger } from '../../../server/observability/log.ts';
import { startTableServer, type TableServer } from '../../../server/app.ts';
import { TableClient } from '../../../server/cli/table-client.ts';
import { ERROR_BUDGET_CLOSE, ErrorBudgets, MAX_UNSENT_FOR_REPLY } from '../../../server/room/error-budget.ts';
import { TokenBucket } from '../../../server/room/token-bucket.ts';

describe('TokenBucket', () => {
  it('gives a burst of perMinute tokens, then one every 60 000 / perMinute ms', () => {
    const b = new TokenBucket(6, 0);
    for (let i = 0; i < 6; i++) expect(b.take(0), `token ${i}`).to.equal(true);
    expect(b.take(0)).to.equal(false);
    expect(b.waitMs(0)).to.equal(10_000);
    expect(b.take(9_999)).to.equal(false);
    expect(b.take(10_000)).to.equal(true);
    expect(b.take(10_000)).to.equal(false);
  });

  it('never holds more than one burst, however long it waits', () => {
    const b = new TokenBucket(3, 0);
    let taken = 0;
    while (b.take(3_600_000)) taken++;
    expect(taken).to.equal(3);
  });

  it('refuses a bucket of no tokens', () => {
    expect(() => new TokenBucket(0, 0)).to.throw(RangeError, /perMinute > 0/);
  });
});

describe('ErrorBudgets', () => {
  it('answers the first repliesPerMinute refusals, counts the next in silence, and disconnects past refusalsPerMinute', () => {
    const budgets = new ErrorBudgets({ repliesPerMinute: 3, refusalsPerMinute: 5 });
    const answers = Array.from({ length: 7 }, () => budgets.refuse('a', 0));
    expect(answers).to.deep.equal(['reply', 'reply', 'reply', 'silent', 'silent', 'disconnect', 'disconnect']);
    expect(budgets.unanswered('a')).to.equal(2);
  });

  it('refills both budgets evenly over a minute', () => {
    const budgets = new ErrorBudgets({ repliesPerMinute: 2, refusalsPerMinute: 4 });
    expect([budgets.refuse('a', 0), budgets.refuse('a', 0), budgets.refuse('a', 0)]).to.deep.equal(['reply', 'reply', 'silent']);
    // 30 s later one reply and two refusals came back: 3 refusals left, 1 answered.
    expect([budgets.refuse('a', 30_000), budgets.refuse('a', 30_000), budgets.refuse('a', 30_000)]).to.deep.equal(['reply', 'silent', 'silent']);
    expect(budgets.refuse('a', 30_000)).to.equal('disconnect');
  });

  it('keeps one budget per client and forgets a client that left', () => {
    const budgets = new ErrorBudgets({ repliesPerMinute: 1, refusalsPerMinute: 2 });
    expect([budgets.refuse('a', 0), budgets.refuse('a', 0)]).to.deep.equal(['reply', 'silent']);
    expect(budgets.refuse('b', 0)).to.equal('reply');
    budgets.forget('a');
    expect(budgets.unanswered('a')).to.equal(0);
    expect(budgets.refuse('a', 0)).to.equal('reply');
  });

  it('with 0 replies never answers, and with 0 refusals never disconnects', () => {
    const budgets = new ErrorBudgets({ repliesPerMinute: 0, refusalsPerMinute: 0 });
    const answers = new Set(Array.from({ length: 1000 }, () => budgets.refuse('a', 0)));
    expect([...answers]).to.deep.equal(['silent']);
  });

  it('refuses a negative budget', () => {
    expect(() => new ErrorBudgets({ repliesPerMinute: -1, refusalsPerMinute: 0 })).to.throw(RangeError, /repliesPerMinute/);
  });
});

const NARRATION = 'Lanterns flicker in the windows of the village below, while a bell tolls somewhere in the mist.';

/** A full GC, then the process's resident set, MiB: the test's own garbage must not count as growth. */
function rssAfterGcMiB(): number {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  return process.memoryUsage().rss / 2 ** 20;
}

/** An unknown message type, 6 bytes on the wire: Colyseus ROOM_DATA (13), then the type "spam" (msgpack fixstr). */
const SPAM = Buffer.from([13, 0xa4, ...Buffer.from('spam')]);

/**
 * A raw WebSocket seat (no SDK): it reserves a seat over HTTP, reads the join handshake, acknowledges
 * it and then never reads again — a stalled tab, or an attacker that only writes.
 */
async function slowReader(port: number, roomId: string): Promise<{ ws: WebSocket; sessionId: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/matchmake/joinById/${roomId}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: `Slow${Math.random().toString(36).slice(2, 6)}` }),
  });
  const seat = (await res.json()) as { processId: string; roomId: string; sessionId: string };
  const ws = new WebSocket(`ws://127.0.0.1:${port}/${seat.processId}/${seat.roomId}?sessionId=${seat.sessionId}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('message', () => {
      ws.send(Buffer.from([10])); // JOIN_ROOM acknowledged: the seat is taken
      ws.pause(); // and nothing is read any more
      resolve();
    });
  });
  return { ws, sessionId: seat.sessionId };
}

/** The server's side of a seat: bytes it has sent (handed to the kernel) and still holds unsent. */
function serverSide(roomId: string, sessionId: string): { sent(): number; unsent(): number; seated(): boolean } {
  const room = matchMaker.getLocalRoomById(roomId)!;
  const ws = (room.clients.getById(sessionId) as unknown as { ref: { bufferedAmount: number; _socket: { bytesWritten: number } } }).ref;
  return {
    sent: () => ws._socket.bytesWritten + ws.bufferedAmount,
    unsent: () => ws.bufferedAmount,
    seated: () => room.clients.getById(sessionId) !== undefined,
  };
}

/** Resolves once `read()` has not changed for `quietMs`. */
async function settled(read: () => number, quietMs = 500, timeoutMs = 20_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let last = read();
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, quietMs));
    const now = read();
    if (now === last) return now;
    last = now;
  }
  return last;
}

describe('error budget in the table room (real Colyseus server, SDK and raw WebSocket clients)', function () {
  this.timeout(60_000);
  const servers: TableServer[] = [];
  const sockets: WebSocket[] = [];
  const clients: TableClient[] = [];

  async function server(limits: Record<string, number>): Promise<{ app: TableServer; endpoint: string }> {
    const overrides: Record<string, unknown> = {
      port: 0, host: '127.0.0.1', sinks: ['wav'], plugins: { 'tts-espeak': {} }, recordingsDir: mkdtempSync(join(tmpdir(), 'vrpg-budget-')),
    };
    for (const [k, v] of Object.entries(limits)) overrides[`limits.${k}`] = v;
    const app = await startTableServer(loadConfig({ env: {}, overrides }).config, createLogger('silent'));
    servers.push(app);
    return { app, endpoint: `ws://127.0.0.1:${app.port}` };
  }

  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    for (const c of clients.splice(0)) await c.leave();
    for (const app of servers.splice(0)) await app.close();
  });

  it('answers a flood of unknown messages with at most the budget of errors, then disconnects the client (4429) while another room narrates on', async () => {
    const { endpoint } = await server({ errorRepliesPerMinute: 5, refusalsPerMinute: 20 });
    const dm = await TableClient.create(endpoint, { name: 'Mira' });
    const bystander = await TableClient.create(endpoint, { name: 'Bystander' });
    clients.push(dm, bystander);
    const reply = await bystander.request('narrate', { text: NARRATION });
    const id = (reply as { narrationId: string }).narrationId;

    const flooder = await TableClient.join(endpoint, dm.room.roomId, { name: 'Flood' });
    const left = new Promise<[number, string | undefined]>((resolve) => flooder.room.onLeave((code: number, reason?: string) => resolve([code, reason])));
    // 50 in one go: under Colyseus's maxMessagesPerSecond (100), so the error budget is what acts.
    for (let i = 0; i < 50; i++) flooder.room.send('teleport', { i });
    expect(await left).to.deep.equal([ERROR_BUDGET_CLOSE.code, ERROR_BUDGET_CLOSE.reason]);
    expect(flooder.errors).to.have.length(5);
    expect(flooder.errors[0]).to.include({ type: 'teleport' });

    // The flooder's room and its DM carry on, with a budget of their own.
    expect(dm.room.connection.isOpen).to.equal(true);
    const refused = await dm.request('narrate', { text: '   ' });
    expect((refused as { message: string }).message).to.match(/text is empty/);
    const report = await bystander.waitForEnd(id, 60_000);
    expect(report).to.include({ cancelled: false, underruns: 0 });
  });

  /** A server with `limits`, a DM's table, and a raw client seated at it that never reads; with the server's view of that client. */
  async function tableWithSlowReader(limits: Record<string, number>) {
    const { app, endpoint } = await server(limits);
    const dm = await TableClient.create(endpoint, { name: 'Mira' });
    clients.push(dm);
    const { ws, sessionId } = await slowReader(app.port, dm.room.roomId);
    sockets.push(ws);
    await new Promise((r) => setTimeout(r, 200));
    const side = serverSide(dm.room.roomId, sessionId);
    return { ws, side };
  }

  it('queues a few KB for a client that never reads while it sends 200 000 tiny unknown messages, not one error each', async () => {
    // Colyseus's rate limit lifted: the flood (200 800 messages in 5 s) against the default budget alone.
    const { ws, side } = await tableWithSlowReader({ maxMessagesPerSecond: 100_000 });
    const rssBefore = rssAfterGcMiB();
    const sentBefore = side.sent();

    for (let i = 0; i < 200_000; i++) ws.send(SPAM);
    const sent = (await settled(() => side.sent())) - sentBefore;

    // 30 answers (limits.errorRepliesPerMinute) of ~250 bytes and the close frame; without a budget, ~50 MB.
    expect(sent, 'bytes the server sent or holds for the client').to.be.below(30 * 300 + 1024);
    expect(side.seated(), 'disconnected after limits.refusalsPerMinute refusals').to.equal(false);
    const growth = rssAfterGcMiB() - rssBefore;
    expect(growth, 'RSS growth, MiB (issue 11: +197 MB)').to.be.below(40);
  });

  it('sends no error reply to a client with more than 64 KiB unsent, however large its budget', async () => {
    // Budget lifted, so only the backlog check bounds what the server holds for the client.
    const { ws, side } = await tableWithSlowReader({ maxMessagesPerSecond: 100_000, errorRepliesPerMinute: 100_000, refusalsPerMinute: 0 });
    const rssBefore = rssAfterGcMiB();

    for (let i = 0; i < 90_000; i++) ws.send(SPAM);
    await settled(() => side.sent());

    // The kernel's socket buffers took what they could (a few MB on loopback); the process holds at most the threshold and one answer.
    expect(side.seated()).to.equal(true);
    expect(side.unsent(), 'bytes held unsent in the server process').to.be.within(MAX_UNSENT_FOR_REPLY - 1024, MAX_UNSENT_FOR_REPLY + 256);
    expect(rssAfterGcMiB() - rssBefore, 'RSS growth, MiB').to.be.below(40);
  });
});
