import WebSocket from 'ws';
import { decodeBridgeFrame } from '../../server/bridge/bridge-frame.ts';

/** A control message from the server (game-bridge/PROTOCOL.md, "Server → client"). */
export interface ServerMessage {
  readonly type: string;
  /** `message`: the room message type. */
  readonly message?: string;
  readonly data?: any;
  readonly [key: string]: any;
}

/** One audio frame as received: the header's fields, the payload's RMS and when it arrived. */
export interface ReceivedFrame {
  readonly seq: number;
  readonly generation: number;
  /** Hz. */
  readonly rate: number;
  readonly samples: number;
  readonly silence: boolean;
  /** RMS of the payload, in [0, 1] (0 for silence). */
  readonly rms: number;
  /** performance.now() at arrival, ms. */
  readonly atMs: number;
}

/** How the socket closed. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/**
 * A reference bridge client in Node (game-bridge/PROTOCOL.md) — the protocol in ~150 lines, what a
 * Discord bot or a test would write; our tests and `npm run bench` use it. Keeps every control
 * message and a summary of every audio frame (not the samples) in memory: for tests and
 * measurements, not for hours-long sessions.
 */
export class NodeBridgeClient {
  readonly messages: ServerMessage[] = [];
  readonly frames: ReceivedFrame[] = [];
  /** Resolves when the socket closes. */
  readonly closed: Promise<CloseInfo>;
  private waiters: Array<() => void> = [];
  /** Frames whose header or payload did not decode (must stay 0 against a correct server). */
  badFrames = 0;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      this.wake();
    }));
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        try {
          const f = decodeBridgeFrame(data as Buffer);
          let sum = 0;
          for (let i = 0; i < f.pcm.length; i++) sum += (f.pcm[i]! / 32768) ** 2;
          this.frames.push({ seq: f.seq, generation: f.generation, rate: f.rate, samples: f.samples, silence: f.silence, rms: f.pcm.length ? Math.sqrt(sum / f.pcm.length) : 0, atMs: performance.now() });
        } catch {
          this.badFrames++;
        }
      } else {
        this.messages.push(JSON.parse(data.toString()) as ServerMessage);
      }
      this.wake();
    });
  }

  /**
   * Opens a socket without sending anything (for refusal tests).
   * @throws Error when the connection fails
   */
  static open(url: string): Promise<NodeBridgeClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new NodeBridgeClient(ws)));
      ws.once('error', reject);
    });
  }

  /**
   * Connects and sends `request` (a `join` or `attach`, `v: 1` added when absent).
   * @returns the client once `seated`/`attached` arrived
   * @throws Error with the close code and reason when the server refused
   */
  static async connect(url: string, request: Record<string, unknown>, timeoutMs = 10_000): Promise<NodeBridgeClient> {
    const client = await NodeBridgeClient.open(url);
    client.sendJson({ v: 1, ...request });
    const answer = request.type === 'attach' ? 'attached' : 'seated';
    const ok = await client.waitFor(() => client.messages.some((m) => m.type === answer) || client.ws.readyState === WebSocket.CLOSED, timeoutMs);
    if (!ok || !client.messages.some((m) => m.type === answer)) {
      const info = await Promise.race([client.closed, new Promise<CloseInfo>((r) => setTimeout(() => r({ code: 0, reason: 'timeout' }), 100))]);
      client.ws.terminate();
      throw Object.assign(new Error(`refused: ${info.code} ${info.reason}`), info);
    }
    return client;
  }

  /** The `seated` (or `attached`) message. */
  get seated(): ServerMessage {
    return this.messages.find((m) => m.type === 'seated' || m.type === 'attached')!;
  }

  /** Room messages of one type (`narration:caption`, …), in order. */
  roomMessages(type: string): any[] {
    return this.messages.filter((m) => m.type === 'message' && m.message === type).map((m) => m.data);
  }

  /** The latest `state`. */
  get state(): any {
    for (let i = this.messages.length - 1; i >= 0; i--) if (this.messages[i]!.type === 'state') return this.messages[i]!.state;
    return undefined;
  }

  sendJson(msg: object): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** A room message, as `room.send(message, data)`. */
  send(message: string, data?: unknown): void {
    this.sendJson({ type: 'send', message, ...(data !== undefined ? { data } : {}) });
  }

  /**
   * Waits until `predicate` holds (checked after every message, frame and the close).
   * @returns false on timeout
   */
  async waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** Waits for a room message of `type` matching `predicate`. @throws Error on timeout */
  async waitForMessage(type: string, predicate: (data: any) => boolean = () => true, timeoutMs = 10_000): Promise<any> {
    let found: any;
    const ok = await this.waitFor(() => (found = this.roomMessages(type).find(predicate)) !== undefined, timeoutMs);
    if (!ok) throw new Error(`no "${type}" message within ${timeoutMs} ms`);
    return found;
  }

  /** Sends `leave` and waits for the close. */
  async leave(): Promise<CloseInfo> {
    if (this.ws.readyState === WebSocket.OPEN) this.sendJson({ type: 'leave' });
    return this.closed;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
