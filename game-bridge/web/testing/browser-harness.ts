import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PAGE_PROBE } from './page-probe.ts';

/** Debian's chromium package (apt `chromium`). */
export const CHROMIUM_PATH = process.env.VRPG_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Flags for a headless Chromium on a server: no sandbox (root in a container), no GPU,
 * no background fetches, and autoplay allowed so pages play remote audio without a gesture.
 */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required'];

/** Why browser tests cannot run here, or null when they can. */
export async function browserUnavailable(): Promise<string | null> {
  if (!existsSync(CHROMIUM_PATH)) return `chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set VRPG_CHROMIUM)`;
  try {
    await import('playwright-core');
  } catch {
    return 'playwright-core is not installed';
  }
  return null;
}

/** Launches headless Chromium with {@link CHROMIUM_ARGS}. @throws Error when it cannot start */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Seat options as the page's `NarrationClient.connect` takes them (minus `url`). */
export interface SeatOptions {
  readonly name: string;
  readonly role: 'dm' | 'player';
  readonly dmSecret?: string;
  readonly roomId?: string;
  /** Room type to join or create (default `table`). */
  readonly roomName?: string;
  readonly create?: boolean;
}

/** Inbound audio figures as the page's `getStats()` returns them. */
export interface PageStats {
  readonly packetsReceived: number | null;
  readonly packetsLost: number | null;
  readonly concealedSamples: number | null;
  readonly totalSamplesReceived: number | null;
  readonly jitter: number | null;
}

/** What the page's probe saw so far (times epoch ms). */
export interface ProbeSnapshot {
  readonly captions: Array<{ text: string; index: number; narrationId: string; at: number }>;
  readonly loudAt: number[];
  readonly silentAt: number[];
  /** Render quanta (128 samples) above the loudness threshold. */
  readonly loudBlocks: number;
  readonly maxPeak: number;
  readonly audioStates: string[];
  /** Streams metered so far (more than one: the SDK replaced its stream, e.g. after a retry). */
  readonly meters: number;
  readonly errors: Array<{ type: string; message: string }>;
  readonly state: { players: Array<{ id: string; name: string; role: string }>; status: string; role: string | null } | null;
  readonly audioState: string | null;
}

type Probe = Record<string, (...args: any[]) => any>;

/**
 * One browser page seated at a table through the SDK, in its own context (own cookies,
 * own autoplay state), with the energy probe of page-probe.ts watching what it hears.
 */
export class BrowserSeat {
  private constructor(readonly context: BrowserContext, readonly page: Page, readonly sessionId: string, readonly roomId: string) {}

  /**
   * Opens `baseUrl` (the narrator's HTTP address) in a fresh context and joins.
   * @throws Error when the page cannot load the SDK or the server refuses the seat
   */
  static async open(browser: Browser, baseUrl: string, seat: SeatOptions): Promise<BrowserSeat> {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${baseUrl}/rules`); // any same-origin document will do; this one runs no script
      await page.addScriptTag({ type: 'module', content: PAGE_PROBE });
      await page.waitForFunction(() => (globalThis as any).__probe !== undefined);
      const r = await page.evaluate((o) => ((globalThis as any).__probe as Probe).connect!(o), seat);
      return new BrowserSeat(context, page, r.sessionId, r.roomId);
    } catch (err) {
      await context.close();
      throw err;
    }
  }

  /** Runs a probe method in the page. */
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    return this.page.evaluate(([m, a]) => ((globalThis as any).__probe as Probe)[m as string]!(...(a as unknown[])), [method, args] as const) as Promise<T>;
  }

  /** Waits until the narration plays in the page's `<audio>` and the meter runs. */
  waitPlaying(timeoutMs = 15_000): Promise<void> {
    return this.call('waitPlaying', timeoutMs);
  }

  /** DM: `narrate(text)`; returns the narration id and the epoch ms just before the call. */
  narrate(text: string): Promise<{ id: string; at: number }> {
    return this.call('narrate', text);
  }

  /** DM: `cancel()`; returns the epoch ms just before the call. */
  cancel(): Promise<number> {
    return this.call('cancel');
  }

  /** Epoch ms of the first sound heard at or after `t`. @throws Error after `timeoutMs` */
  firstLoudAfter(t: number, timeoutMs = 15_000): Promise<number> {
    return this.call('firstLoudAfter', t, timeoutMs);
  }

  /** Epoch ms of the onset of the first confirmed silence at or after `t`. @throws Error after `timeoutMs` */
  firstSilentAfter(t: number, timeoutMs = 15_000): Promise<number> {
    return this.call('firstSilentAfter', t, timeoutMs);
  }

  /** The narration's report once the room broadcast its end. */
  waitEnd(id: string, timeoutMs = 60_000): Promise<{ id: string; cancelled: boolean; audioMs: number }> {
    return this.call('waitEnd', id, timeoutMs);
  }

  stats(): Promise<PageStats> {
    return this.call('stats');
  }

  snapshot(): Promise<ProbeSnapshot> {
    return this.call('snapshot');
  }

  /** Leaves through the SDK, then closes the context. */
  async leave(): Promise<void> {
    await this.call('leave').catch(() => undefined);
    await this.context.close();
  }

  /** Closes the page abruptly (a tab closed mid-narration: no `audio:leave`, the socket just drops). */
  async crash(): Promise<void> {
    await this.context.close();
  }
}
