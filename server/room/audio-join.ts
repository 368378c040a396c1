import type { Client } from '@colyseus/core';

/** A room message handler as Colyseus calls it. */
export type Handler = (client: Client, message: unknown) => void;

/**
 * The `audio:join` handler of a narrated room: `{ transport: "bridge" }` is answered here with
 * `audio:bridge` `{ token, path, expiresInMs }` (game-bridge/PROTOCOL.md); without `transport`, or
 * `"webrtc"`, it goes to the WebRTC plugin's handler (plugins/audio-webrtc/PROTOCOL.md), `transport`
 * removed. Refusals are `audio:error` `{ message }` through `refuse`.
 * @param webrtc the WebRTC plugin's `audio:join` handler, when that plugin is mounted
 * @param bridge `grant` issues the client's one-time bridge token (throws naming why there is none);
 *   `refuse` answers a refusal within the client's error budget
 */
export function audioJoin(
  webrtc: Handler | undefined,
  bridge: { grant(client: Client): { token: string; path: string; expiresInMs: number }; refuse(client: Client, message: string): void },
): Handler {
  return (client, message) => {
    const transport = (message as { transport?: unknown } | null | undefined)?.transport;
    const rest = transport === undefined ? message : Object.fromEntries(Object.entries(message as object).filter(([k]) => k !== 'transport'));
    if (transport === undefined || transport === 'webrtc') {
      if (webrtc) return webrtc(client, rest);
      return bridge.refuse(client, 'audio:join: this server has no WebRTC audio (mount plugins/audio-webrtc); use transport "bridge"');
    }
    if (transport !== 'bridge') return bridge.refuse(client, 'audio:join: transport must be "webrtc" or "bridge"');
    if (Object.keys(rest as object).length > 0) return bridge.refuse(client, `audio:join: unknown field(s): ${Object.keys(rest as object).join(', ').slice(0, 200)}`);
    try {
      client.send('audio:bridge', bridge.grant(client));
    } catch (err) {
      bridge.refuse(client, `audio:join: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}
