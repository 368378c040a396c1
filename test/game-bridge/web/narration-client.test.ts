import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { Room, definePlugins, type Client } from '@colyseus/core';
import { Schema, type } from '@colyseus/schema';
import type { TableServer } from '../../../server/app.ts';
import { BrowserSeat, browserUnavailable, launchChromium, type PageStats } from '../../../game-bridge/web/testing/browser-harness.ts';
import { requestWebRtcSinkStats } from '../../../plugins/audio-webrtc/index.ts';
import { startNarrator, webrtcAvailable } from './narrator-server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Three sentences (two or three chunks); at 30 chars/s about 7 s of tone. */
const PASSAGE =
  'The road winds down into the valley, and the rain grows heavier with every mile. ' +
  'Lanterns flicker in the windows of the village below. ' +
  'A bell tolls somewhere in the mist, slow and patient, as if it has rung for a hundred years.';

/** PASSAGE's length in the page: the instant engine speaks 30 chars/s here (narrator-server.ts). */
const PASSAGE_MS = (PASSAGE.length / 30) * 1000;

/**
 * What Chromium conceals depends on its own share of this 2-core machine (identical runs saw 0 %
 * and 18 % of samples): not the server's to guarantee. What the server guarantees is asserted
 * exactly — every packet sent, none lost, at the frame clock's 50 per second; concealment is
 * printed and only bounded where it would mean the audio failed (most of it invented).
 */
const MAX_CONCEALED_SHARE = 0.5;

/** Frames the room's `webrtc` sink encoded so far (one per 20 ms clock frame, silence included). */
async function framesEncoded(roomId: string): Promise<number> {
  const stats = await requestWebRtcSinkStats(roomId);
  if (!stats) throw new Error(`no webrtc sink stats for room ${roomId}`);
  return stats.framesEncoded;
}

/**
 * Asserts the server kept the frame clock's pace over `elapsedMs` (one frame per 20 ms, caught up
 * after any stall; 10 % for when the two counts were read) and that `page` counted every one of
 * those frames with none lost. Chromium counts a packet when its network thread gets to it — on a
 * starved 2-core machine seconds late, with nothing lost — and the stream goes on (silence frames),
 * so the page's count is awaited (5 s at most) rather than compared at one instant.
 */
async function expectEveryFrame(page: BrowserSeat, before: PageStats, framesSent: number, elapsedMs: number, what: string): Promise<PageStats> {
  expect(framesSent, 'frames the room sent').to.be.at.least(Math.floor((elapsedMs / 20) * 0.9));
  let s = await page.stats();
  for (let k = 0; k < 50 && s.packetsReceived! - before.packetsReceived! < framesSent; k++) s = (await sleep(100), await page.stats());
  expect(s.packetsLost, `${what} packets lost`).to.equal(0);
  expect(s.packetsReceived! - before.packetsReceived!, `${what} packets counted`).to.be.at.least(framesSent);
  return s;
}

/** Every chunk of narration `id` captioned once, in order, the whole text covered. */
function expectCaptionsInOrder(captions: Array<{ text: string; index: number; narrationId: string }>, id: string): void {
  const mine = captions.filter((c) => c.narrationId === id);
  expect(mine.length, 'captions').to.be.greaterThan(1);
  expect(mine.map((c) => c.index)).to.deep.equal(mine.map((_, i) => i));
  expect(mine.map((c) => c.text).join('')).to.equal(PASSAGE);
}

/** A game's own state: no players map, no NarrationState field. */
class SkirmishState extends Schema {
  @type('int32') round = 1;
}

/**
 * The browser SDK in a real Chromium against a real narrator in this process: Colyseus room,
 * instant engine, frame clock, `webrtc` sink (werift peers), Opus over RTP to the pages.
 */
describe('NarrationClient in Chromium (direct WebRTC)', function () {
  this.timeout(120_000);
  let browser: Browser;
  let app: TableServer;
  let baseUrl: string;
  const seats: BrowserSeat[] = [];

  before(async function () {
    const reason = (await browserUnavailable()) ?? (webrtcAvailable ? null : 'plugins/audio-webrtc is not in the tree');
    if (reason) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    // A crashed page's seat (and its peer) is held for the reconnection window: 1 s here, so the peer goes soon.
    ({ app, baseUrl } = await startNarrator({ reconnectWindowMs: 1000 }));
    const narrator = app.narrator;
    // A game's own room type next to `table`: the room's creator narrates (the game's role callback).
    app.server.define('skirmish', class SkirmishRoom extends Room<{ state: SkirmishState }> {
      override state = new SkirmishState();
      private creator = '';
      override plugins = definePlugins({ narration: narrator.roomPlugin({ role: (c: Client) => (c.sessionId === this.creator ? 'dm' : 'player') }) });
      override onJoin(client: Client): void {
        this.creator ||= client.sessionId;
      }
    });
    browser = await launchChromium();
  });

  // Every page decodes Opus and runs an AudioContext: a test's pages leave before the next test opens its own.
  afterEach(async () => {
    await Promise.all(seats.splice(0).map((s) => s.leave().catch(() => undefined)));
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  async function seat(name: string, role: 'dm' | 'player', roomId?: string): Promise<BrowserSeat> {
    const s = await BrowserSeat.open(browser, baseUrl, roomId ? { name, role, roomId } : { name, role });
    seats.push(s);
    return s;
  }

  /** A fresh table: DM first (first comer is DM: no secret configured), then players, all hearing. */
  async function table(players: string[]): Promise<{ dm: BrowserSeat; players: BrowserSeat[] }> {
    const dm = await BrowserSeat.open(browser, baseUrl, { name: 'Mira', role: 'dm', create: true });
    seats.push(dm);
    const ps = await Promise.all(players.map((n) => seat(n, 'player', dm.roomId)));
    await Promise.all([dm, ...ps].map((s) => s.waitPlaying()));
    return { dm, players: ps };
  }

  it('plays the DM narration to every player with captions in order', async () => {
    const { dm, players } = await table(['Ana', 'Bo']);
    const { id } = await dm.narrate(PASSAGE);
    const before = await Promise.all(players.map((p) => p.stats()));
    const framesBefore = await framesEncoded(dm.roomId);
    const t0 = Date.now();
    await sleep(1500);
    const during = await Promise.all(players.map((p) => p.stats()));
    const report = await dm.waitEnd(id);
    const elapsedMs = Date.now() - t0;
    const framesSent = (await framesEncoded(dm.roomId)) - framesBefore;
    for (const [i, p] of players.entries()) {
      const s = await expectEveryFrame(p, before[i]!, framesSent, elapsedMs, `page ${i}`);
      const snap = await p.snapshot();
      expect(during[i]!.totalSamplesReceived!, 'samples grow while narrating').to.be.greaterThan(before[i]!.totalSamplesReceived ?? 0);
      expect(s.totalSamplesReceived!).to.be.greaterThan(during[i]!.totalSamplesReceived!);
      const concealed = s.concealedSamples! / s.totalSamplesReceived!;
      console.log(`      page ${i}: concealed ${(concealed * 100).toFixed(1)} % of samples; ${report.audioMs} ms narrated`);
      expect(concealed, 'concealed share').to.be.lessThan(MAX_CONCEALED_SHARE);
      expect(snap.loudBlocks, `energy heard (audio states ${snap.audioStates.join(' → ')}, streams metered ${snap.meters})`).to.be.greaterThan(100);
      expectCaptionsInOrder(snap.captions, id);
      expect(snap.state?.players.map((pl) => pl.name)).to.have.members(['Mira', 'Ana', 'Bo']);
    }
  });

  it('measures time to first audio and cancel to silence at the browser', async () => {
    const { dm, players } = await table(['Cai']);
    const ttfa: number[] = [];
    const cancel: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { id, at } = await dm.narrate(PASSAGE);
      const heardAt = await players[0]!.firstLoudAfter(at);
      ttfa.push(heardAt - at);
      await sleep(800);
      const cancelAt = await dm.cancel();
      const silentAt = await players[0]!.firstSilentAfter(cancelAt);
      cancel.push(silentAt - cancelAt);
      const report = await dm.waitEnd(id);
      expect(report.cancelled).to.equal(true);
      await sleep(300);
    }
    console.log(`      browser TTFA ms: ${ttfa.map((t) => t.toFixed(0)).join(', ')}; cancel → silence ms: ${cancel.map((t) => t.toFixed(0)).join(', ')}`);
    // Chromium's jitter buffer delays what the page hears by however much it grew (seen 70 ms to 3.3 s on this
    // loaded machine; the bench reports the figures). What holds regardless: sound comes after the request, and
    // the cancel cuts the narration short in the page — silence 800 ms after the first sound, well before
    // PASSAGE_MS (the whole narration) would have played out there.
    for (const t of ttfa) expect(t).to.be.greaterThan(0);
    for (const [i, t] of cancel.entries()) expect(t, `narration ${i}`).to.be.within(0, PASSAGE_MS - 800 - 1000);
  });

  it('keeps each room to its own audio', async () => {
    const a = await table(['Ana']);
    const b = await table(['Zed']);
    expect(b.dm.roomId).to.not.equal(a.dm.roomId);
    const quietBefore = (await b.players[0]!.snapshot()).loudBlocks;
    const { id, at } = await a.dm.narrate(PASSAGE);
    await a.players[0]!.firstLoudAfter(at);
    await a.dm.waitEnd(id);
    const heardInA = (await a.players[0]!.snapshot()).loudBlocks;
    const heardInB = (await b.players[0]!.snapshot()).loudBlocks;
    expect(heardInA).to.be.greaterThan(100);
    expect(heardInB - quietBefore, 'room B heard room A').to.equal(0);
    expect((await b.players[0]!.stats()).packetsReceived, 'room B peer still streams (silence)').to.be.greaterThan(0);
    expect((await b.players[0]!.snapshot()).captions).to.deep.equal([]);
  });

  it('carries on for the others when a player closes mid-narration, and drops that peer', async () => {
    const { dm, players } = await table(['Ana', 'Bo', 'Cai']);
    expect((await requestWebRtcSinkStats(dm.roomId))?.peers).to.equal(4);
    const { id } = await dm.narrate(PASSAGE);
    await players[0]!.firstLoudAfter(0);
    await sleep(500);
    // Judged from here, after start-up, not over the page's life; the pages first, then the server's frame count.
    const survivors = [dm, players[0]!, players[1]!];
    const playing = await Promise.all(survivors.map((p) => p.stats()));
    const framesBefore = await framesEncoded(dm.roomId);
    const t0 = Date.now();
    await players[2]!.crash();
    seats.splice(seats.indexOf(players[2]!), 1);
    const report = await dm.waitEnd(id);
    const elapsedMs = Date.now() - t0;
    const framesSent = (await framesEncoded(dm.roomId)) - framesBefore;
    expect(report.cancelled).to.equal(false);
    for (const [i, p] of survivors.entries()) {
      const snap = await p.snapshot();
      expectCaptionsInOrder(snap.captions, id);
      expect(snap.errors).to.deep.equal([]);
      // The others' streams went on unbroken through the crash.
      const s = await expectEveryFrame(p, playing[i]!, framesSent, elapsedMs, `page ${i}`);
      const concealed = (s.concealedSamples! - playing[i]!.concealedSamples!) / (s.totalSamplesReceived! - playing[i]!.totalSamplesReceived!);
      console.log(`      page ${i}: concealed ${(concealed * 100).toFixed(1)} % of samples after playback started`);
      expect(concealed).to.be.lessThan(MAX_CONCEALED_SHARE);
    }
    let peers: number | undefined;
    for (let i = 0; i < 100 && peers !== 3; i++) {
      peers = (await requestWebRtcSinkStats(dm.roomId))?.peers;
      if (peers !== 3) await sleep(100);
    }
    expect(peers, 'peers left on the server').to.equal(3);
    expect((await dm.snapshot()).state?.players).to.have.length(3);
  });

  it('hears a game\'s own room joined by roomName: captions and status by message, roles from the game', async () => {
    const gm = await BrowserSeat.open(browser, baseUrl, { name: 'Mira', role: 'dm', roomName: 'skirmish', create: true });
    seats.push(gm);
    const player = await seat('Ana', 'player', gm.roomId);
    await Promise.all([gm, player].map((s) => s.waitPlaying()));
    const { id } = await gm.narrate(PASSAGE);
    await player.waitEnd(id);
    let snap = await player.snapshot();
    // `narration:status` idle follows the narration's end: wait for it (50 ms steps, 5 s at most).
    for (let i = 0; i < 100 && snap.state?.status !== 'idle'; i++) snap = (await sleep(50), await player.snapshot());
    expectCaptionsInOrder(snap.captions, id);
    expect(snap.loudBlocks, `energy heard (audio states ${snap.audioStates.join(' → ')}, streams metered ${snap.meters})`).to.be.greaterThan(100);
    expect(snap.errors).to.deep.equal([]);
    // No players map in this room's state: the SDK lists none and knows no role; the status follows the narration.
    expect(snap.state).to.deep.include({ players: [], role: null, status: 'idle' });
    const refused = await player.page.evaluate(() =>
      ((globalThis as any).__probe.client.narrate('I am the DM now.') as Promise<string>).then(() => 'accepted', (e: Error) => e.message),
    );
    expect(refused).to.match(/only the DM may send "narration:narrate"/);
  });

  it('refuses DM commands from a player with the server reason', async () => {
    const { players } = await table(['Ana']);
    const message = await players[0]!.page.evaluate(() =>
      ((globalThis as any).__probe.client.narrate('I am the DM now.') as Promise<string>).then(() => 'accepted', (e: Error) => e.message),
    );
    expect(message).to.match(/only the DM may send "narration:narrate"/);
  });
});
