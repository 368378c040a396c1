import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../server/config/load-config.ts';
import { createLogger } from '../../server/observability/log.ts';
import { startTableServer } from '../../server/app.ts';
import { BrowserSeat, browserUnavailable, launchChromium } from '../../game-bridge/web/testing/browser-harness.ts';
import { passageOf } from '../texts.ts';
import { seededRandom, sleep } from '../util.ts';
import { summarize, type Summary } from '../percentile.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/plugins', import.meta.url));

/** Options of {@link measureBrowser}. */
export interface BrowserBenchOptions {
  /** Narrations measured (each gives one TTFA and one cancel figure); at least 20 for a p95. */
  readonly narrations: number;
  /** `espeak` (real synthesis, default) or `instant` (the fixture tone: pipeline + WebRTC cost only). */
  readonly engine?: 'espeak' | 'instant';
}

/** Result of {@link measureBrowser}; times in ms, or `skipped` naming why nothing was measured. */
export type BrowserBenchResult =
  | {
      readonly engine: string;
      /** DM page's `narrate()` call → first render quantum above −34 dBFS in a player page's received audio. */
      readonly ttfaMs: Summary;
      /** DM page's `cancel()` call → onset of silence (≥ 150 ms below −34 dBFS) in the player page. */
      readonly cancelToSilenceMs: Summary;
      /** Inbound RTP of the player page at the end. */
      readonly packetsReceived: number | null;
      readonly concealedSamples: number | null;
      readonly totalSamplesReceived: number | null;
    }
  | { readonly skipped: string };

/**
 * TTFA and cancel latency where a remote player hears them: a narrator in this process
 * (sink `webrtc`, direct mode), headless Chromium with a DM page and a player page seated
 * through the browser SDK, and an AudioWorklet energy probe on the player's received track
 * (game-bridge/web/testing/page-probe.ts). Each narration (~4 s of speech) is cancelled
 * 300–800 ms after it is first heard. Both pages share one machine clock (epoch ms).
 * @throws Error when the server or a page fails mid-run (a missing chromium is a `skipped` result)
 */
export async function measureBrowser(options: BrowserBenchOptions): Promise<BrowserBenchResult> {
  const unavailable = await browserUnavailable();
  if (unavailable) return { skipped: unavailable };
  const engine = options.engine ?? 'espeak';
  const { config } = loadConfig({
    env: {},
    overrides: {
      port: 0,
      host: '127.0.0.1',
      engine,
      pluginDirs: [FIXTURES],
      plugins: { [engine === 'espeak' ? 'tts-espeak' : 'instant-engine']: {}, 'audio-webrtc': {} },
      sinks: ['webrtc'],
      recordingsDir: mkdtempSync(join(tmpdir(), 'vrpg-bench-web-')),
    },
  });
  const app = await startTableServer(config, createLogger('silent'));
  const browser = await launchChromium();
  const ttfa: number[] = [];
  const cancel: number[] = [];
  try {
    const base = `http://127.0.0.1:${app.port}`;
    const dm = await BrowserSeat.open(browser, base, { name: 'Bench DM', role: 'dm', create: true });
    const player = await BrowserSeat.open(browser, base, { name: 'Bench player', role: 'player', roomId: dm.roomId });
    await Promise.all([dm.waitPlaying(), player.waitPlaying()]);
    const random = seededRandom(11);
    for (let i = 0; i < options.narrations; i++) {
      const { id, at } = await dm.narrate(passageOf(4, 15, i));
      const heard = await player.firstLoudAfter(at, 30_000);
      ttfa.push(heard - at);
      await sleep(300 + 500 * random());
      const cancelAt = await dm.cancel();
      const silent = await player.firstSilentAfter(cancelAt, 10_000);
      cancel.push(silent - cancelAt);
      await dm.waitEnd(id);
      await sleep(200);
    }
    const stats = await player.stats();
    await player.leave();
    await dm.leave();
    return { engine, ttfaMs: summarize(ttfa), cancelToSilenceMs: summarize(cancel), ...stats };
  } finally {
    await browser.close();
    await app.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const n = Number(process.argv[2] ?? 20);
  const engine = (process.argv[3] ?? 'espeak') as 'espeak' | 'instant';
  measureBrowser({ narrations: n, engine }).then((r) => console.log(JSON.stringify(r, null, 2)));
}
