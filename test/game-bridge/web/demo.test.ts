import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { matchMaker } from '@colyseus/core';
import type { TableServer } from '../../../server/app.ts';
import { browserUnavailable, launchChromium } from '../../../game-bridge/web/testing/browser-harness.ts';
import { startNarrator } from './narrator-server.ts';

/** The demo table page (game-bridge/web/demo) served by the narrator, driven by clicks in Chromium. */
describe('demo table page in Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let app: TableServer;
  let baseUrl: string;

  before(async function () {
    const reason = await browserUnavailable();
    if (reason) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    ({ app, baseUrl } = await startNarrator());
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  async function join(name: string, role: 'dm' | 'player', query = ''): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${baseUrl}/${query}`);
    await page.fill('#name', name);
    await page.check(role === 'dm' ? '#role-dm' : '#role-player');
    await page.click('#join');
    await page.waitForSelector('#table', { state: 'visible' });
    expect(errors, 'page errors').to.deep.equal([]);
    return page;
  }

  it('joins as DM, lists the table, narrates from the textarea and shows the caption', async () => {
    const dm = await join('Mira', 'dm');
    await dm.waitForSelector('#dm-panel', { state: 'visible' });
    expect(await dm.textContent('#players')).to.contain('Mira (DM)');
    const roomId = await dm.textContent('#room');
    const player = await join('Ana', 'player', `?room=${roomId}`);
    await dm.waitForFunction(() => (globalThis as any).document.querySelector('#players').textContent.includes('Ana'));
    expect(await player.isVisible('#dm-panel')).to.equal(false);

    await dm.fill('#narration-text', 'The door creaks open. A cold wind blows out the candles.');
    await dm.click('#narrate');
    await player.waitForFunction(() => (globalThis as any).document.querySelector('#caption').textContent.includes('door creaks'));
    await dm.waitForFunction(() => /playing/.test((globalThis as any).document.querySelector('#audio-state').textContent));
    await dm.click('#cancel');
    await dm.waitForFunction(() => /cancelled/.test((globalThis as any).document.querySelector('#log').textContent));
    await dm.context().close();
    await player.context().close();
  });

  it('offers players the events the rules allow them and narrates one on click', async () => {
    const dm = await join('Mira', 'dm');
    const roomId = await dm.textContent('#room');
    const player = await join('Bo', 'player', `?room=${roomId}`);
    await player.waitForSelector('button[data-event="dice_roll"]');
    expect(await player.$$eval('button[data-event]', (bs) => bs.map((b: any) => b.dataset.event))).to.deep.equal(['dice_roll', 'player_joined']);
    expect(await dm.$$eval('button[data-event]', (bs) => bs.length)).to.equal(5);
    const roll = player.locator('.event', { has: player.locator('button[data-event="dice_roll"]') });
    expect(await roll.locator('input[name="name"]').inputValue()).to.equal('Bo');
    await roll.locator('input[name="dice"]').fill('1d20');
    await roll.locator('input[name="result"]').fill('17');
    await roll.locator('button').click();
    await dm.waitForFunction(() => (globalThis as any).document.querySelector('#caption').textContent.includes('Bo rolls 1d20 and gets 17.'));
    await dm.context().close();
    await player.context().close();
  });

  it('shows the seat each person got and why, and a banner with DM controls off while a dropped connection reconnects to the same seat', async () => {
    const dm = await join('Mira', 'dm');
    const roomId = (await dm.textContent('#room'))!;
    expect(await dm.textContent('#seat')).to.equal('the DM');
    expect(await dm.textContent('#seat-reason')).to.equal('(you opened the table)');
    const player = await join('Ana', 'dm', `?room=${roomId}`); // asks for the DM seat too
    await player.waitForFunction(() => (globalThis as any).document.querySelector('#seat-reason').textContent.includes('taken'));
    expect(await player.textContent('#seat')).to.equal('a player');
    expect(await player.textContent('#seat-reason')).to.equal('(the DM seat is taken (Mira))');
    expect(await player.isVisible('#dm-panel')).to.equal(false);
    await dm.waitForFunction(() => /playing/.test((globalThis as any).document.querySelector('#audio-state').textContent));

    // The Colyseus SDK reconnects a room only after 5 s up (its reconnection.minUptime).
    await new Promise((r) => setTimeout(r, 5500));
    // First retry in 4 s (the SDK's back-off from a 2 s delay): time to look at the page while it waits.
    const dmSession = await dm.evaluate(() => {
      const r = (globalThis as any).narration.room.reconnection;
      r.delay = 2000;
      r.minDelay = 2000;
      return (globalThis as any).narration.sessionId as string;
    });
    // A network drop: the server's end of the DM's socket is cut without a close frame (the page sees 1006).
    (matchMaker.getLocalRoomById(roomId)!.clients.getById(dmSession)!.ref as unknown as { terminate(): void }).terminate();
    await dm.waitForSelector('#banner', { state: 'visible' });
    expect(await dm.textContent('#banner')).to.match(/reconnecting/);
    // Meanwhile requests fail at once, saying why, and the DM's buttons are off.
    const refused = await dm.evaluate(() => ((globalThis as any).narration.narrate('Anyone there?') as Promise<string>).then(() => 'accepted', (e: Error) => e.message));
    expect(refused).to.equal('not connected (reconnecting)');
    expect(await dm.isDisabled('#narrate')).to.equal(true);
    await player.waitForFunction(() => /Mira \(DM\) \(reconnecting…\)/.test((globalThis as any).document.querySelector('#players').textContent));

    // Back on the same seat: banner gone, still DM, controls on, audio renegotiated, narration heard by the player.
    await dm.waitForSelector('#banner', { state: 'hidden', timeout: 20_000 });
    expect(await dm.evaluate(() => (globalThis as any).narration.sessionId)).to.equal(dmSession);
    expect(await dm.isDisabled('#narrate')).to.equal(false);
    await dm.waitForFunction(() => /playing/.test((globalThis as any).document.querySelector('#audio-state').textContent), undefined, { timeout: 20_000 });
    await player.waitForFunction(() => !/reconnecting/.test((globalThis as any).document.querySelector('#players').textContent));
    await dm.fill('#narration-text', 'We are back at the table.');
    await dm.click('#narrate');
    await player.waitForFunction(() => (globalThis as any).document.querySelector('#caption').textContent.includes('back at the table'));
    await dm.context().close();
    await player.context().close();
  });

  it('offers a new table for a stale link whose table is gone', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${baseUrl}/?room=gone-after-restart`);
    await page.fill('#name', 'Mira');
    await page.click('#join');
    await page.waitForSelector('#new-table', { state: 'visible' });
    expect(await page.textContent('#join-error')).to.match(/That table is gone/);
    await page.click('#new-table');
    await page.waitForSelector('#table', { state: 'visible' });
    expect(await page.textContent('#room')).to.not.equal('gone-after-restart');
    expect(await page.textContent('#seat')).to.equal('a player'); // asked for a player seat: the table has no DM until someone asks
    await page.context().close();
  });
});
