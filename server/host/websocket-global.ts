import { WebSocket as WsWebSocket } from 'ws';

/**
 * Colyseus 0.18's server reads the global `WebSocket` when a client reconnects
 * (`@colyseus/core` Room.mjs `_onJoin`: `client.readyState !== WebSocket.OPEN`). Node ≥ 22 has that
 * global; on Node 20 every reconnection threw `ReferenceError: WebSocket is not defined` and the
 * seat was lost (close 4003). Defines it from `ws` (same `OPEN` = 1) only where it is missing.
 * Imported for its effect by the narrator, which every room with narration loads.
 */
const g = globalThis as { WebSocket?: unknown };
g.WebSocket ??= WsWebSocket;
