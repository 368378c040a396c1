/**
 * Child-process entry of the soak (soak.ts): every client of the run lives here, in its own process,
 * so the server process's RSS is the server's alone and the clients' work shares only the CPUs.
 * Runs the commands the bench process sends over IPC and answers each with `{ ok, result | error }`.
 *
 * Per soak room: a DM (SDK) narrating passages back to back with a short pause, a player (SDK) rolling
 * a die between passages now and then, and a listener on the game bridge (game-bridge/PROTOCOL.md: PCM frames over one
 * WebSocket, 50 frames/s, silence included). Besides: one flooding client, one room-churn loop and a
 * `/health` poller. Times are this process's `performance.now()`, ms.
 */
import { NodeBridgeClient } from '../../game-bridge/node/bridge-client.ts';
import { TableClient, type TableReply } from '../../server/cli/table-client.ts';
import type { NarrationReport } from '../../server/narration/narration.ts';
import { passageOf } from '../texts.ts';
import { seededRandom, sleep } from '../util.ts';

/** Bench process → this process. */
export type SoakCommand =
  | { cmd: 'seat'; endpoint: string; bridgeUrl: string; rooms: number }
  | { cmd: 'run'; durationMs: number }
  | { cmd: 'leave' };

/** What the run measured (`run`'s answer). */
export interface SoakClientResult {
  /** Reports of every narration that ended in the soak rooms (DM text and players' dice). */
  readonly reports: NarrationReport[];
  /** Reports of the churn loop's rooms. */
  readonly churnReports: NarrationReport[];
  /** Rooms the churn loop created, narrated in and left. */
  readonly churnedRooms: number;
  /** `GET /health` round trips, ms; `healthFailures` did not answer 200 within 5 s. */
  readonly healthMs: number[];
  readonly healthFailures: number;
  /** Flooding client: sessions, close codes seen (code → count), the most `narration:error` answers one session got. */
  readonly flood: { sessions: number; messages: number; closeCodes: Record<string, number>; maxErrorsPerSession: number };
  /** Bridge listeners: frames received, and frames that arrived > 100 ms after the previous seq (an underrun with a 100 ms jitter buffer). */
  readonly listener: { frames: number; lateOver100: number; maxGapMs: number };
  /** Requests refused or failed (reason → count): a DM's `narrate`, a player's event. */
  readonly refused: Record<string, number>;
}

/** Messages per second the flooder sends: under the table room's `limits.maxMessagesPerSecond` (100), so the error budget is what stops it. */
const FLOOD_RATE = 50;

interface SoakRoom {
  readonly dm: TableClient;
  readonly player: TableClient;
  readonly listener: NodeBridgeClient;
}

let endpoint = '';
let bridgeUrl = '';
const rooms: SoakRoom[] = [];
const refused: Record<string, number> = {};
const listenerStats = { frames: 0, lateOver100: 0, maxGapMs: 0 };
const lastFrame = new Map<NodeBridgeClient, { seq: number; atMs: number }>();

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

/** Folds the listeners' frames into the totals and drops them (50 a second each would pile up for minutes). */
function drainListeners(): void {
  for (const { listener } of rooms) {
    let last = lastFrame.get(listener);
    for (const f of listener.frames) {
      if (last && f.seq === last.seq + 1) {
        const gap = f.atMs - last.atMs;
        if (gap > 100) listenerStats.lateOver100++;
        listenerStats.maxGapMs = Math.max(listenerStats.maxGapMs, gap);
      }
      last = { seq: f.seq, atMs: f.atMs };
    }
    if (last) lastFrame.set(listener, last);
    listenerStats.frames += listener.frames.length;
    listener.frames.length = 0;
    listener.messages.length = 0;
  }
}

async function seat(n: number): Promise<{ roomIds: string[] }> {
  for (let i = rooms.length; i < n; i += 8) {
    const batch = await Promise.all(Array.from({ length: Math.min(8, n - i) }, async (_, k) => {
      const dm = await TableClient.create(endpoint, { name: `DM ${i + k}` });
      const player = await TableClient.join(endpoint, dm.room.roomId, { name: `Player ${i + k}` });
      const listener = await NodeBridgeClient.connect(bridgeUrl, { type: 'join', room: dm.room.roomId, name: `Listener ${i + k}` }, 20_000);
      return { dm, player, listener };
    }));
    rooms.push(...batch);
  }
  return { roomIds: rooms.map((r) => r.dm.room.roomId) };
}

/** Narrates `text` and waits for its end. @returns the report, or null when refused (counted) */
async function narrateOnce(dm: TableClient, text: string): Promise<NarrationReport | null> {
  const reply: TableReply = await dm.request('narrate', { text }, 30_000).catch((err: Error) => ({ ok: false as const, type: 'narrate', message: err.message }));
  if (!reply.ok) {
    count(refused, `narrate: ${reply.message.slice(0, 60)}`);
    return null;
  }
  return dm.waitForEnd(reply.narrationId, 120_000).catch(() => (count(refused, 'narrate: no end within 120 s'), null));
}

/**
 * The table's talk: the DM reads 6–14 s passages with 0.5–2 s pauses, continuously; after about one
 * passage in three the player rolls a die (a `dice_roll` event, narrated). Turns are taken, so no
 * narration waits behind another and each TTFA is the pipeline's, not a queue's.
 */
async function tableLoop(room: SoakRoom, index: number, until: number): Promise<void> {
  const random = seededRandom(1000 + index);
  await sleep(3000 * random()); // tables are not in step: no burst of every room's first passage at once
  for (let k = 0; performance.now() < until; k++) {
    await narrateOnce(room.dm, passageOf(6 + 8 * random(), 15, index * 7 + k));
    if (random() < 1 / 3 && performance.now() < until) {
      const r = await room.player.request('event', { type: 'dice_roll', name: `Player ${index}`, dice: '1d20', result: 1 + Math.floor(20 * random()) }, 30_000)
        .catch((err: Error) => ({ ok: false as const, type: 'event', message: err.message }));
      if (r.ok) await room.dm.waitForEnd(r.narrationId, 60_000).catch(() => count(refused, 'event: no end within 60 s'));
      else count(refused, `event: ${r.message.slice(0, 60)}`);
    }
    await sleep(500 + 1500 * random());
  }
}

/**
 * A hostile player: joins a soak room, sends unknown messages at {@link FLOOD_RATE} a second until the
 * server disconnects it (4429, its refusal budget spent), and every fourth session a burst of 300 at once
 * (4002, Colyseus's `maxMessagesPerSecond`); then joins the next room.
 */
async function floodLoop(until: number): Promise<SoakClientResult['flood']> {
  const flood = { sessions: 0, messages: 0, closeCodes: {} as Record<string, number>, maxErrorsPerSession: 0 };
  for (let s = 0; performance.now() < until; s++) {
    const roomId = rooms[s % rooms.length]!.dm.room.roomId;
    let client: TableClient;
    try {
      client = await TableClient.join(endpoint, roomId, { name: `Flooder ${s}` });
    } catch (err) {
      count(refused, `flooder join: ${(err as Error).message.slice(0, 60)}`);
      await sleep(2000);
      continue;
    }
    flood.sessions++;
    const session = { closed: null as number | null };
    client.room.onLeave((code: number) => void (session.closed = code));
    if (s % 4 === 3) {
      for (let i = 0; i < 300; i++) client.room.send('spam', i);
      flood.messages += 300;
    }
    while (session.closed === null && performance.now() < until) {
      for (let i = 0; i < FLOOD_RATE / 10 && client.room.connection.isOpen; i++) {
        client.room.send('spam', i);
        flood.messages++;
      }
      await sleep(100);
    }
    const waitedFrom = performance.now();
    while (session.closed === null && performance.now() - waitedFrom < 2000) await sleep(50);
    count(flood.closeCodes, String(session.closed ?? 'still open at the end'));
    flood.maxErrorsPerSession = Math.max(flood.maxErrorsPerSession, client.errors.length);
    if (session.closed === null) await client.leave();
    await sleep(2000);
  }
  return flood;
}

/** Creates a room, narrates one short passage in it, leaves (the room is disposed), and again. */
async function churnLoop(until: number, reports: NarrationReport[]): Promise<number> {
  let churned = 0;
  for (let k = 0; performance.now() < until; k++) {
    try {
      const dm = await TableClient.create(endpoint, { name: `Churn ${k}` });
      const report = await narrateOnce(dm, passageOf(2 + (k % 3), 15, k));
      if (report) reports.push(report);
      await dm.leave();
      churned++;
    } catch (err) {
      count(refused, `churn: ${(err as Error).message.slice(0, 60)}`);
      await sleep(1000);
    }
    await sleep(1000);
  }
  return churned;
}

async function healthLoop(until: number, into: number[]): Promise<number> {
  let failures = 0;
  const url = `${endpoint.replace(/^ws/, 'http')}/health`;
  while (performance.now() < until) {
    const t0 = performance.now();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.status === 200) into.push(performance.now() - t0);
      else failures++;
    } catch {
      failures++;
    }
    await sleep(1000);
  }
  return failures;
}

async function run(durationMs: number): Promise<SoakClientResult> {
  const until = performance.now() + durationMs;
  for (const r of rooms) r.dm.reports.clear();
  const drain = setInterval(drainListeners, 2000);
  const healthMs: number[] = [];
  const churnReports: NarrationReport[] = [];
  try {
    const [, flood, churnedRooms, healthFailures] = await Promise.all([
      Promise.all(rooms.map((r, i) => tableLoop(r, i, until))),
      floodLoop(until),
      churnLoop(until, churnReports),
      healthLoop(until, healthMs),
    ]);
    drainListeners();
    return {
      reports: rooms.flatMap((r) => [...r.dm.reports.values()]),
      churnReports, churnedRooms, healthMs, healthFailures, flood, listener: { ...listenerStats }, refused,
    };
  } finally {
    clearInterval(drain);
  }
}

async function leave(): Promise<null> {
  await Promise.all(rooms.map(async (r) => {
    r.listener.ws.close();
    await Promise.all([r.player.leave(), r.dm.leave()]);
  }));
  rooms.length = 0;
  return null;
}

process.on('message', (c: SoakCommand) => {
  const work = c.cmd === 'seat'
    ? ((endpoint = c.endpoint), (bridgeUrl = c.bridgeUrl), seat(c.rooms))
    : c.cmd === 'run' ? run(c.durationMs) : leave();
  work.then(
    (result) => process.send!({ ok: true, result }),
    (err: unknown) => process.send!({ ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) }),
  );
});
