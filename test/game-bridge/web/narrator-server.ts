import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { instantConfig } from '../../fixtures/instant-config.ts';
import { createLogger } from '../../../server/observability/log.ts';
import { startTableServer, type TableServer } from '../../../server/app.ts';

const WEBRTC_PLUGIN = fileURLToPath(new URL('../../../plugins/audio-webrtc/index.ts', import.meta.url));

/** Whether the direct WebRTC plugin is in the tree (written by another engineer in parallel). */
export const webrtcAvailable = existsSync(WEBRTC_PLUGIN);

/**
 * A narrator in this process for browser tests: the `instant` fixture engine (a 220 Hz tone
 * as long as the text would be spoken at `charsPerSecond`, so audio is loud and synthesis
 * free), sink `webrtc` in direct mode when the plugin exists (else `wav`), port 0.
 */
export async function startNarrator(opts: { charsPerSecond?: number; dmSecret?: string; reconnectWindowMs?: number } = {}): Promise<{ app: TableServer; baseUrl: string }> {
  const config = instantConfig({
    plugins: webrtcAvailable ? { 'audio-webrtc': {} } : {},
    sinks: webrtcAvailable ? ['webrtc'] : ['wav'],
    ...(opts.dmSecret ? { dmSecret: opts.dmSecret } : {}),
    ...(opts.reconnectWindowMs !== undefined ? { 'table.reconnectWindowMs': opts.reconnectWindowMs } : {}),
  }, opts.charsPerSecond ?? 30);
  const app = await startTableServer(config, createLogger('silent'));
  return { app, baseUrl: `http://127.0.0.1:${app.port}` };
}
