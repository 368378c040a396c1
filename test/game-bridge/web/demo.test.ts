import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
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
});
