import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisServer, redisServerMissing } from '../../../tools/local-cluster/redis-server.ts';
import { ServeProcess } from '../../../tools/local-cluster/serve-process.ts';
import { TableClient } from '../../../server/cli/table-client.ts';
import type { NarrationReport } from '../../../server/narration/narration.ts';
import { WebRtcListener } from '../../plugins/audio-webrtc/webrtc-listener.ts';

/** A few seconds of narration: long enough to be audio, short enough for a 2-core machine. */
const TEXT = 'The lanterns of the inn sway in the wind, and the door creaks open.';

/** `vrpg_rooms` of one process's /metrics. */
async function hostedRooms(proc: ServeProcess): Promise<number> {
  const text = await (await fetch(`http://${proc.address}/metrics`)).text();
  const line = /^vrpg_rooms (\d+)$/m.exec(text);
  if (!line) throw new Error(`no vrpg_rooms in /metrics of ${proc.address}`);
  return Number(line[1]);
}

/** Polls `check` every 100 ms until it returns true; fails after `timeoutMs` naming `what`. */
async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Narrates `TEXT` as the DM and resolves with its report. */
async function narrate(dm: TableClient): Promise<NarrationReport> {
  const reply = await dm.request('narrate', { text: TEXT });
  if (!reply.ok) throw new Error(`narrate refused: ${reply.message}`);
  return dm.waitForEnd(reply.narrationId, 60_000);
}

/**
 * Real parts: Debian's redis-server, three `vrpg-narrator serve --redis` child processes (the package
 * bin), official @colyseus/sdk clients that all matchmake through the first process only.
 */
describe('many processes behind Redis (real redis-server, three serve processes, SDK clients)', function () {
  this.timeout(240_000);
  let redis: RedisServer | undefined;
  let redisClient: Redis | undefined;
  const procs: ServeProcess[] = [];
  const clients: TableClient[] = [];

  before(async function () {
    const missing = redisServerMissing();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    redis = await RedisServer.start();
    redisClient = new Redis(redis.url);
    // One at a time: three espeak warm-ups at once on two cores only make each slower.
    // A drain bound far above any narration here: the drain part asserts what a drain guarantees, not a race.
    // The webrtc sink too (direct mode, werift): players' peers must reach the process hosting their room.
    const env = { VRPG_SHUTDOWN__DRAIN_MS: '90000', VRPG_SINKS: 'wav,webrtc', VRPG_PLUGINS: '{"tts-espeak":{},"audio-webrtc":{}}' };
    for (let i = 0; i < 3; i++) procs.push(await ServeProcess.start({ redisUrl: redis.url, env }));
  });

  after(async () => {
    // A client whose process died has left already: leave() would wait for a second onLeave.
    for (const c of clients) if (c.room.connection.isOpen) await c.leave();
    for (const p of procs) await p.stop();
    redisClient?.disconnect();
    await redis?.stop();
  });

  /** Rooms Colyseus has listed in Redis, by room id: the process that hosts each and its public address. */
  async function listing(): Promise<Map<string, { processId: string; publicAddress: string }>> {
    const raw = await redisClient!.hgetall('roomcaches');
    return new Map(Object.entries(raw).map(([id, json]) => [id, JSON.parse(json) as { processId: string; publicAddress: string }]));
  }

  it('spreads tables matchmade through one process over every process, each narrating on its own (WAV, a WebRTC player); a SIGKILLed process closes its clients while the others narrate on; a draining one gets no new tables', async () => {
    const [entry] = procs;
    // Colyseus places a room on the process hosting the fewest (counts it keeps in Redis under
    // `roomcount`, written at most once a second): wait for each count to land before the next create,
    // so the placement is decided on current figures, not on timing.
    const rooms = 6;
    for (let i = 0; i < rooms; i++) {
      clients.push(await TableClient.create(entry!.endpoint, { name: `DM ${i}` }));
      await until('roomcount in Redis', async () => {
        const counts = Object.values(await redisClient!.hgetall('roomcount')).map((v) => Number(v.split(',')[0]));
        return counts.reduce((a, b) => a + b, 0) === i + 1;
      });
    }
    const hosted = await Promise.all(procs.map(hostedRooms));
    expect(hosted.reduce((a, b) => a + b, 0)).to.equal(rooms);
    for (const [i, n] of hosted.entries()) expect(n, `vrpg_rooms of process ${i}`).to.be.at.least(1);

    // Each client landed on its room's own process (the seat reservation's public address).
    const listed = await listing();
    const procOf = (roomId: string) => procs.find((p) => p.address === listed.get(roomId)?.publicAddress);
    for (const c of clients) expect(procOf(c.room.roomId), `room ${c.room.roomId}`).to.not.equal(undefined);

    // A player's WebRTC peer on a table hosted by another process than the one matchmade through:
    // signaling rides the room's own WebSocket, so the peer connects to the hosting process.
    const dms = [...clients];
    const remote = dms.find((c) => procOf(c.room.roomId) !== entry)!;
    const player = await TableClient.join(entry!.endpoint, remote.room.roomId, { name: 'Ana' });
    clients.push(player);
    const listener = new WebRtcListener(player.room);
    await listener.listen(30_000);

    // Every room narrates with audio, recorded by its own process.
    const reports = await Promise.all(dms.map(narrate));
    for (const r of reports) {
      expect(r.error).to.equal(null);
      expect(r.cancelled).to.equal(false);
      expect(r.audioMs).to.be.greaterThan(1000);
    }
    for (const c of clients) expect(existsSync(join(procOf(c.room.roomId)!.recordingsDir, `room-${c.room.roomId}.wav`)), `recording of ${c.room.roomId}`).to.equal(true);
    // At least the narration's audio in 20 ms Opus packets, halved for margin (silence may be sent too).
    const remoteReport = reports[dms.indexOf(remote)]!;
    await listener.close();
    await player.leave();
    clients.splice(clients.indexOf(player), 1);
    console.log(`      WebRTC player on another process than the one matchmade through: ${listener.packets.length} RTP packets for ${remoteReport.audioMs} ms of narration`);
    expect(listener.packets.length, 'RTP packets the player received').to.be.at.least(Math.floor(remoteReport.audioMs / 20 / 2));

    // SIGKILL a process other than the one everybody matchmakes through.
    const victim = procs.find((p) => p !== entry && clients.some((c) => procOf(c.room.roomId) === p))!;
    const dead = clients.filter((c) => procOf(c.room.roomId) === victim);
    const alive = dms.filter((c) => procOf(c.room.roomId) !== victim);
    const left = new Map<TableClient, number>();
    const dropped = new Map<TableClient, number>();
    for (const c of clients) {
      // Two reconnection attempts, not the SDK's fifteen (about a minute): the close must come, and soon.
      c.room.reconnection.maxRetries = 2;
      c.room.onDrop((code) => dropped.set(c, code));
      c.room.onLeave((code) => left.set(c, code));
    }
    victim.kill('SIGKILL');
    await victim.exited;
    await until("the killed process's clients' onLeave", () => dead.every((c) => left.has(c)), 30_000);
    for (const c of dead) {
      expect(left.get(c), 'onLeave code').to.be.a('number').and.not.equal(1000);
    }

    // The other processes' rooms: still connected, still narrating.
    const again = await Promise.all(alive.map(narrate));
    for (const r of again) {
      expect(r.error).to.equal(null);
      expect(r.cancelled).to.equal(false);
      expect(r.audioMs).to.be.greaterThan(1000);
    }
    for (const c of alive) {
      expect(dropped.has(c), 'a live process\'s client dropped').to.equal(false);
      expect(left.has(c), 'a live process\'s client left').to.equal(false);
    }
    const survivors = procs.filter((p) => p !== victim);
    const after = await Promise.all(survivors.map(hostedRooms));
    expect(after.reduce((a, b) => a + b, 0)).to.equal(alive.length);

    // SIGTERM the other survivor while its DM narrates: new tables matchmade through the entry process
    // do not land on it — though it then hosts fewer rooms than the entry, which would make it
    // Colyseus's pick — its narration finishes, and it exits 0.
    const draining = survivors.find((p) => p !== entry)!;
    const [dm, ...others] = alive.filter((c) => procOf(c.room.roomId) === draining);
    for (const c of others) await c.leave(); // an empty table is disposed
    const drainingId = listed.get(dm!.room.roomId)!.processId;
    await until('the draining process\'s roomcount in Redis', async () => Number((await redisClient!.hget('roomcount', drainingId))?.split(',')[0]) === 1);
    expect(await hostedRooms(entry!), 'the entry hosts more rooms than the process about to drain').to.be.greaterThan(1);
    const reply = await dm!.request('narrate', { text: `${TEXT} ${TEXT}` });
    if (!reply.ok) throw new Error(`narrate refused: ${reply.message}`);
    await dm!.waitForState((st) => st.narration.status === 'speaking', 30_000);
    draining.kill('SIGTERM');
    await until('the drain to begin', () => draining.logLines(/^drain: refusing/).length > 0);
    const before = await hostedRooms(entry!);
    for (let i = 0; i < 2; i++) clients.push(await TableClient.create(entry!.endpoint, { name: `Late ${i}` }));
    expect(await hostedRooms(entry!)).to.equal(before + 2);
    const report = await dm!.waitForEnd(reply.narrationId, 60_000);
    expect(report.cancelled).to.equal(false);
    expect(draining.logLines(/^drain: refusing/)[0]?.narrationsInFlight, 'in flight when the drain began').to.equal(1);
    expect(await draining.exited).to.deep.equal({ code: 0, signal: null });
  });
});
