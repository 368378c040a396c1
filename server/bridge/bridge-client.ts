import { EventEmitter } from 'node:events';
import { ClientState, Protocol, enqueueClientRaw, getMessageBytes, type Client, type ISendOptions } from '@colyseus/core';
import { decode } from '@colyseus/schema';
import { unpack } from 'msgpackr';

/** Low 5 bits of a Colyseus frame's first byte: the protocol code (the high bits are modifiers; @colyseus/shared-types PROTOCOL_CODE_MASK). */
const PROTOCOL_CODE_MASK = 0x1f;
/** WebSocket readyState values Colyseus reads from `client.readyState`. */
const OPEN = 1;
const CLOSED = 3;

/** What a {@link BridgeClient} hands to its bridge session. */
export interface BridgeClientEvents {
  /** A room message for this client (`client.send`, `room.broadcast`), decoded. */
  message(type: string | number, data: unknown): void;
  /** The room's state changed (full state or a patch was sent to this client). */
  state(): void;
  /** The room raised an error for this client (Colyseus `client.error`). */
  error(code: number, message: string): void;
  /** The room removed the client (`client.leave`, room disposed). */
  leave(code: number | undefined, reason: string | undefined): void;
}

/**
 * A bridge socket seen by a Colyseus room: implements Colyseus's server-side `Client`
 * (@colyseus/core Transport.ts, as `WebSocketClient` of @colyseus/ws-transport does for the SDK),
 * so the room seats, authenticates, rate-limits and messages a bridge client exactly as an SDK
 * client: `onAuth`/`onJoin`/`onLeave` run, `maxClients` counts it, `client.send` and
 * `room.broadcast` reach it.
 *
 * Outbound frames (what Colyseus would write to the socket) are decoded here, not sent: messages
 * go to `events.message`, state frames only signal `events.state` (the bridge sends the state as
 * JSON instead of the schema binary). Inbound room messages are encoded as the SDK does and
 * emitted on `ref` (`deliver`), where the room's handler listens.
 */
export class BridgeClient implements Client {
  declare '~messages': any;
  readonly ref = new EventEmitter();
  readonly id: string;
  state: ClientState = ClientState.JOINING;
  reconnectionToken = '';
  userData?: unknown;
  auth?: unknown;
  // ClientPrivate fields Colyseus keeps on every client (message queue before join, rate limiter).
  _enqueuedMessages: unknown[] = [];
  _numMessagesLastSecond = 0;
  _messageCountResetsAt = 0;
  _lastMessageTime = 0;
  private open = true;

  constructor(readonly sessionId: string, private readonly events: BridgeClientEvents) {
    this.id = sessionId;
    this.ref.setMaxListeners(20);
  }

  /** Colyseus reads it on reconnection; OPEN until {@link closed}. */
  get readyState(): number {
    return this.open ? OPEN : CLOSED;
  }

  /**
   * A room message from the bridge client, exactly as the Colyseus SDK's `room.send(type, data)` encodes it.
   * @throws Error (from msgpack) when `data` cannot be encoded
   */
  deliver(type: string, data: unknown): void {
    if (!this.open) return;
    this.ref.emit('message', getMessageBytes.raw(Protocol.ROOM_DATA, type, data));
  }

  /**
   * The socket is gone: the room runs its leave with this close code, as for a WebSocket's `close`
   * (`CloseCode.CONSENTED` = the client left, `onLeave`; anything else a drop, `onDrop` when the room has one).
   */
  closed(code: number): void {
    if (!this.open) return;
    this.open = false;
    this.ref.emit('close', code);
  }

  send(type: string | number | symbol, message?: unknown, options?: ISendOptions): void {
    this.enqueueRaw(getMessageBytes.raw(Protocol.ROOM_DATA, type as string | number, message), options);
  }

  sendBytes(type: string | number, bytes: Buffer | Uint8Array, options?: ISendOptions): void {
    this.enqueueRaw(getMessageBytes.raw(Protocol.ROOM_DATA_BYTES, type, undefined, bytes), options);
  }

  enqueueRaw(data: Uint8Array | Buffer, options?: ISendOptions): void {
    enqueueClientRaw(this as never, data, options);
  }

  /** What Colyseus would write to the socket: decoded and handed to the session. */
  raw(data: Uint8Array | Buffer, _options?: ISendOptions, cb?: (err?: Error) => void): void {
    if (this.open) this.decodeFrame(data);
    cb?.();
  }

  error(code: number, message = ''): void {
    this.raw(getMessageBytes[Protocol.ERROR](code, message));
  }

  leave(code?: number, data?: string): void {
    this.events.leave(code, data);
  }

  close(code?: number, data?: string): void {
    this.leave(code, data);
  }

  toJSON(): { sessionId: string; readyState: number } {
    return { sessionId: this.sessionId, readyState: this.readyState };
  }

  private decodeFrame(data: Uint8Array): void {
    const code = data[0]! & PROTOCOL_CODE_MASK;
    const it = { offset: 1 };
    switch (code) {
      case Protocol.JOIN_ROOM:
        // The handshake: an SDK answers with JOIN_ROOM to say it is ready; the room then sends the
        // full state and the messages queued during the join. Answer after the room's onJoin returns.
        queueMicrotask(() => this.open && this.ref.emit('message', Buffer.from([Protocol.JOIN_ROOM])));
        return;
      case Protocol.ROOM_DATA: {
        const type = decode.stringCheck(data, it) ? decode.string(data, it) : decode.number(data, it);
        const message = data.byteLength > it.offset ? unpack(data.subarray(it.offset)) : undefined;
        this.events.message(type, message);
        return;
      }
      case Protocol.ROOM_DATA_BYTES: {
        const type = decode.stringCheck(data, it) ? decode.string(data, it) : decode.number(data, it);
        this.events.message(type, { bytes: Buffer.from(data.subarray(it.offset)).toString('base64') });
        return;
      }
      case Protocol.ROOM_STATE:
      case Protocol.ROOM_STATE_PATCH:
        this.events.state();
        return;
      case Protocol.ERROR: {
        const errorCode = decode.number(data, it);
        const message = decode.string(data, it);
        this.events.error(errorCode, message);
        return;
      }
      default:
        // PING answers, LEAVE_ROOM, input and schema-message frames: nothing a bridge client uses.
        return;
    }
  }
}
