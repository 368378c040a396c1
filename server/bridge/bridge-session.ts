import type { IncomingMessage } from 'node:http';
import { CloseCode, ErrorCode, connectClientToRoom, createAuthContext, matchMaker, type Room } from '@colyseus/core';
import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import { NarrationRoomPlugin } from '../room/narration-room-plugin.ts';
import type { Role } from '../room/seats.ts';
import { BridgeClient } from './bridge-client.ts';
import { BRIDGE_VERSION } from './bridge-frame.ts';
import { BridgeClose, BridgeRefusal, closeReason, parseRequest, type AttachRequest, type BridgeRequest, type JoinRequest } from './bridge-messages.ts';
import type { AudioListener, BridgeAudioHub } from './bridge-audio-hub.ts';
import { BRIDGE_EXTRA_RATES } from './bridge-sink.ts';
import type { BridgeTokens } from './bridge-tokens.ts';

/** Time a new connection has to send `join` or `attach`, ms (game-bridge/PROTOCOL.md). */
export const JOIN_TIMEOUT_MS = 10_000;
/** Unsent bytes above which a client's audio frames are dropped (PROTOCOL.md "Slow readers": 64 KiB ≥ 500 ms at 24 kHz). */
export const AUDIO_BACKLOG_BYTES = 64 * 1024;
/** Unsent bytes above which the client is closed with 4429. */
export const MAX_BACKLOG_BYTES = 1024 * 1024;
/** Messages held while a join completes, at most (a join's own status, caption and state are 3). */
const MAX_HELD = 256;
/** Time a closing socket gets to flush its close frame before it is cut, ms. */
const CLOSE_GRACE_MS = 1000;

/** What every session shares: the bridge server's parts. */
export interface SessionContext {
  readonly log: Logger;
  readonly hub: BridgeAudioHub;
  readonly tokens: BridgeTokens;
  /** The narrator's rate, Hz: every room's frames are at it. */
  readonly roomRate: number;
  /** Time a new connection has to send `join` or `attach`, ms. */
  readonly joinTimeoutMs: number;
  /** An audio frame was not sent to a slow reader (metrics). */
  frameDropped(): void;
  /** An attached session for the seat (roomId, sessionId) replaces the previous one. */
  registerAttached(roomId: string, sessionId: string, session: BridgeSession): void;
  unregisterAttached(roomId: string, sessionId: string, session: BridgeSession): void;
  closed(session: BridgeSession): void;
}

/** Figures of one bridge connection. */
export interface BridgeSessionStats {
  readonly state: BridgeSession['state'];
  readonly roomId: string | null;
  readonly sessionId: string | null;
  /** Hz, or null without audio. */
  readonly rate: number | null;
  readonly framesSent: number;
  /** Audio frames skipped because the client had more than {@link AUDIO_BACKLOG_BYTES} unsent. */
  readonly framesDropped: number;
  /** Most bytes seen waiting unsent (ws bufferedAmount) when a frame was due. */
  readonly maxBufferedBytes: number;
}

/**
 * One bridge WebSocket (game-bridge/PROTOCOL.md): waits for `join` or `attach`, seats the client
 * in the Colyseus room through a {@link BridgeClient} (or, for `attach`, joins the audio of a seat
 * taken through Colyseus), forwards room messages both ways as JSON, sends the room's state as JSON
 * after each patch, and its audio frames as they come from the playout thread. Every refusal
 * closes the socket with the protocol's code and a reason; nothing a client sends can throw past it.
 */
export class BridgeSession {
  state: 'new' | 'joining' | 'seated' | 'attached' | 'closed' = 'new';
  private client: BridgeClient | null = null;
  private room: Room | null = null;
  private roomId: string | null = null;
  /** The Colyseus seat an `attach` joined the audio of. */
  private attachedSession: string | null = null;
  private audio: AudioListener | null = null;
  private readonly joinTimer: NodeJS.Timeout;
  /** Messages produced while joining, sent after `seated` (bounded: a join's own status/caption/state). */
  private held: string[] | null = null;
  private stateQueued = false;
  private framesSent = 0;
  private framesDropped = 0;
  private maxBuffered = 0;
  /** Keep-alive pings sent since the last pong (the server's ping loop counts them up, a pong resets). */
  missedPongs = 0;

  constructor(
    readonly ws: WebSocket,
    private readonly request: IncomingMessage,
    private readonly ctx: SessionContext,
  ) {
    this.joinTimer = setTimeout(() => this.refuse(BridgeClose.TIMEOUT, `no join or attach within ${ctx.joinTimeoutMs / 1000} s`), ctx.joinTimeoutMs);
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('pong', () => (this.missedPongs = 0));
    ws.on('error', (err) => ctx.log.debug({ err }, 'bridge socket error'));
    ws.on('close', () => this.onSocketClosed());
  }

  /** Figures of this connection. */
  stats(): BridgeSessionStats {
    return {
      state: this.state, roomId: this.roomId, sessionId: this.client?.sessionId ?? this.attachedSession ?? null, rate: this.audio?.rate ?? null,
      framesSent: this.framesSent, framesDropped: this.framesDropped, maxBufferedBytes: this.maxBuffered,
    };
  }

  /**
   * Closes the socket with a close code and reason (truncated to 123 bytes); the room sees a leave.
   * A socket that cannot flush its close frame within 1 s is cut.
   */
  refuse(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    if (this.ws.readyState !== WebSocket.CLOSING) {
      this.ctx.log.debug({ code, reason, roomId: this.roomId }, 'bridge: closing');
      this.ws.close(code, closeReason(reason));
      setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    }
    this.teardown();
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    try {
      if (isBinary) throw new BridgeRefusal(BridgeClose.BAD_REQUEST, 'binary frames are not accepted from clients');
      this.handle(parseRequest(data.toString()));
    } catch (err) {
      if (err instanceof BridgeRefusal) return this.refuse(err.code, err.message);
      this.ctx.log.error({ err, roomId: this.roomId }, 'bridge: handling a message failed');
      this.refuse(BridgeClose.INTERNAL, 'internal error');
    }
  }

  private handle(req: BridgeRequest): void {
    switch (req.type) {
      case 'join':
      case 'attach':
        if (this.state !== 'new') throw new BridgeRefusal(BridgeClose.BAD_REQUEST, `${req.type}: this connection already sent join or attach`);
        clearTimeout(this.joinTimer);
        this.state = 'joining';
        this.held = [];
        (req.type === 'join' ? this.join(req) : this.attach(req)).catch((err: unknown) => {
          if (err instanceof BridgeRefusal) return this.refuse(err.code, err.message);
          this.ctx.log.error({ err }, `bridge: ${req.type} failed`);
          this.refuse(BridgeClose.INTERNAL, `${req.type}: internal error`);
        });
        return;
      case 'send':
        if (this.state === 'attached') throw new BridgeRefusal(BridgeClose.BAD_REQUEST, 'send: an attached connection carries audio only; send through your Colyseus connection');
        if (this.state !== 'seated' || !this.client) throw new BridgeRefusal(BridgeClose.BAD_REQUEST, 'send: not seated yet (send join first, wait for seated)');
        try {
          this.client.deliver(req.message, req.data);
        } catch (err) {
          throw new BridgeRefusal(BridgeClose.BAD_REQUEST, `send: data cannot be encoded: ${err instanceof Error ? err.message : String(err)}`);
        }
        return;
      case 'ping':
        this.sendJson({ type: 'pong', ...(req.t !== undefined ? { t: req.t } : {}) });
        return;
      case 'leave':
        this.refuse(BridgeClose.LEFT, 'left');
        return;
    }
  }

  private async join(req: JoinRequest): Promise<void> {
    const rate = this.audioRate(req.audio);
    // `role` asks for the seat too (the `table` room's `seat` join option), unless `options` already says.
    const options = { ...(req.role ? { seat: req.role } : {}), ...(req.options ?? {}), name: req.name };
    const auth = createAuthContext({ headers: this.request.headers as Record<string, string | undefined>, remoteAddress: this.request.socket.remoteAddress });
    let reservation: { sessionId: string; roomId: string; name: string; publicAddress?: string };
    try {
      reservation = req.room !== undefined ? await matchMaker.joinById(req.room, options, auth) : await matchMaker.joinOrCreate(req.roomName!, options, auth);
    } catch (err) {
      throw matchmakeRefusal(err, req);
    }
    if (this.state === 'closed') return; // gone meanwhile: the reservation expires on its own
    const room = matchMaker.getLocalRoomById(reservation.roomId);
    // Behind Redis (README "Scaling out") the room may live on another process: the bridge seats only in
    // this process's rooms, so it names where to connect (the seat reserved there expires unused).
    if (!room) {
      const where = reservation.publicAddress ? `; connect the bridge to ${reservation.publicAddress}${new URL(this.request.url ?? '/bridge', 'http://localhost').pathname} (ws:// or wss://) instead` : ' (give every process a publicAddress so the bridge can be sent there)';
      throw new BridgeRefusal(BridgeClose.NOT_FOUND, `room "${reservation.roomId}" is hosted by another server process${where}`);
    }
    const client = new BridgeClient(reservation.sessionId, {
      message: (type, data) => this.sendJson({ type: 'message', message: type, data }),
      state: () => this.queueState(),
      error: (code, message) => this.sendJson({ type: 'message', message: 'error', data: { code, message } }),
      leave: (code, reason) => this.refuse(code !== undefined && code >= 4000 && code <= 4999 ? code : BridgeClose.ROOM_CLOSED, reason || leaveReason(code)),
    });
    this.client = client;
    this.room = room;
    this.roomId = room.roomId;
    try {
      await connectClientToRoom(room, client as never, auth, {});
    } catch (err) {
      this.client = null;
      throw new BridgeRefusal(BridgeClose.REFUSED, `refused by the room: ${err instanceof Error ? err.message : String(err)}`);
    }
    if ((this.state as BridgeSession['state']) === 'closed') return;
    const role = roleIn(room, client);
    if (req.role === 'dm' && role !== 'dm') {
      throw new BridgeRefusal(BridgeClose.NOT_DM, 'asked for the DM seat and was seated as a player (wrong or missing dmSecret, or the seat is taken)');
    }
    this.state = 'seated';
    this.sendJson({ type: 'seated', v: BRIDGE_VERSION, roomId: room.roomId, roomName: room.roomName, sessionId: client.sessionId, role, audio: audioInfo(rate) }, true);
    this.flushHeld();
    this.startAudio(rate);
  }

  private async attach(req: AttachRequest): Promise<void> {
    const rate = this.audioRate(req.audio);
    const grant = this.ctx.tokens.take(req.token);
    if (!grant) throw new BridgeRefusal(BridgeClose.BAD_TOKEN, 'attach: token unknown, already used or expired');
    const room = matchMaker.getLocalRoomById(grant.roomId);
    if (!room || !room.clients.getById(grant.sessionId)) throw new BridgeRefusal(BridgeClose.BAD_TOKEN, 'attach: the seat this token was issued for has left the room');
    this.state = 'attached';
    this.roomId = room.roomId;
    this.attachedSession = grant.sessionId;
    this.ctx.registerAttached(room.roomId, grant.sessionId, this);
    this.sendJson({ type: 'attached', v: BRIDGE_VERSION, roomId: room.roomId, sessionId: grant.sessionId, audio: audioInfo(rate) }, true);
    this.held = null;
    this.startAudio(rate);
  }

  /** @throws BridgeRefusal 4400 for a rate the server does not offer */
  private audioRate(audio: JoinRequest['audio']): number | null {
    if (audio === false) return null;
    if (audio === true) return this.ctx.roomRate;
    if (audio.rate === this.ctx.roomRate || BRIDGE_EXTRA_RATES.includes(audio.rate)) return audio.rate;
    throw new BridgeRefusal(BridgeClose.BAD_REQUEST, `audio.rate: ${audio.rate} Hz is not offered; use ${[this.ctx.roomRate, ...BRIDGE_EXTRA_RATES].join(' or ')}`);
  }

  private startAudio(rate: number | null): void {
    if (rate === null || !this.roomId) return;
    this.audio = { roomId: this.roomId, rate, deliver: (bytes) => this.sendAudio(bytes) };
    this.ctx.hub.add(this.audio);
  }

  private sendAudio(bytes: Uint8Array): void {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    const buffered = ws.bufferedAmount;
    if (buffered > this.maxBuffered) this.maxBuffered = buffered;
    if (buffered > MAX_BACKLOG_BYTES) return this.refuse(BridgeClose.TOO_SLOW, `too slow: ${Math.round(buffered / 1024)} KiB waiting unsent`);
    if (buffered > AUDIO_BACKLOG_BYTES) {
      this.framesDropped++;
      this.ctx.frameDropped();
      return;
    }
    ws.send(bytes, { binary: true });
    this.framesSent++;
  }

  /** Sends a JSON message; while joining it is held until `seated` (unless `now`). */
  private sendJson(msg: object, now = false): void {
    this.sendText(JSON.stringify(msg), now);
  }

  private sendText(text: string, now = false): void {
    if (this.held && !now) {
      if (this.held.length < MAX_HELD) this.held.push(text);
      return;
    }
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BACKLOG_BYTES) return this.refuse(BridgeClose.TOO_SLOW, `too slow: ${Math.round(ws.bufferedAmount / 1024)} KiB waiting unsent`);
    ws.send(text);
  }

  private flushHeld(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const text of held) this.sendText(text, true);
  }

  /** The state goes out once per burst of patches (all of a patch's clients share one toJSON). */
  private queueState(): void {
    if (this.stateQueued) return;
    this.stateQueued = true;
    setImmediate(() => {
      this.stateQueued = false;
      const room = this.room;
      if (!room || this.state === 'closed') return;
      this.sendText(`{"type":"state","state":${stateJson(room)}}`);
    });
  }

  private onSocketClosed(): void {
    this.teardown();
  }

  /**
   * Stops audio and leaves the room once. The room always sees a consented leave (`onLeave`, never
   * `onDrop`): the bridge protocol has no reconnection token, so a seat held for a reconnection
   * window (server/room/table-room.ts) would only keep a name and the DM seat from the living.
   */
  private teardown(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.joinTimer);
    if (this.audio) this.ctx.hub.remove(this.audio);
    this.client?.closed(CloseCode.CONSENTED);
    if (this.roomId && this.attachedSession) this.ctx.unregisterAttached(this.roomId, this.attachedSession, this);
    this.ctx.closed(this);
  }
}

const stateCache = new WeakMap<object, string>();

/** The room's state as JSON, computed once per event-loop turn whatever the number of bridge clients. */
function stateJson(room: Room): string {
  let json = stateCache.get(room);
  if (json === undefined) {
    const state = room.state as { toJSON?: () => unknown } | undefined;
    json = JSON.stringify(state?.toJSON ? state.toJSON() : (state ?? null));
    stateCache.set(room, json);
    setImmediate(() => stateCache.delete(room));
  }
  return json;
}

/** Why the room removed a client, when it gave no reason (Colyseus close codes). */
function leaveReason(code: number | undefined): string {
  if (code === CloseCode.WITH_ERROR) return 'removed by the room: an error, or more messages per second than it allows';
  if (code === CloseCode.SERVER_SHUTDOWN) return 'server shutting down';
  return 'the room closed';
}

function audioInfo(rate: number | null): object | null {
  return rate === null ? null : { format: 's16le', channels: 1, rate, frameMs: 20 };
}

/** The client's role from the room's narration plugin, or null when the room has none. */
function roleIn(room: Room, client: BridgeClient): Role | null {
  for (const plugin of Object.values((room as { plugins?: Record<string, unknown> }).plugins ?? {})) {
    if (plugin instanceof NarrationRoomPlugin) return plugin.roleOf(client);
  }
  return null;
}

/** Maps a matchmaker error to the protocol's refusal. */
function matchmakeRefusal(err: unknown, req: JoinRequest): BridgeRefusal {
  const code = (err as { code?: number }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === ErrorCode.MATCHMAKE_NO_HANDLER) return new BridgeRefusal(BridgeClose.NOT_FOUND, `no room type named "${req.roomName}"`);
  if (code === ErrorCode.MATCHMAKE_INVALID_ROOM_ID) {
    return /locked/.test(message)
      ? new BridgeRefusal(BridgeClose.ROOM_FULL, `room "${req.room}" is full or locked`)
      : new BridgeRefusal(BridgeClose.NOT_FOUND, `room "${req.room}" not found`);
  }
  return new BridgeRefusal(BridgeClose.REFUSED, `refused: ${message}`);
}
