import { Client, type Room } from '@colyseus/sdk';
import { AudioOutput } from './audio-output.ts';
import type { AudioTransport, TransportState } from './audio-transport.ts';
import { DirectTransport, type CandidateMessage } from './direct-transport.ts';
import { TypedEmitter } from './emitter.ts';
import { NO_STATS } from './inbound-stats.ts';
import { LivekitTransport, type LivekitGrant } from './livekit-transport.ts';
import { RoomState } from './room-state.ts';
import type { AudioState, AudioStats, ConnectOptions, ConnectionState, GameEvent, NarrationClientEvents, NarrationReport, Role, SeatEvent, TableStateEvent } from './types.ts';

export type * from './types.ts';
export { inboundAudioStats } from './inbound-stats.ts';

/** Retries of `audio:join` after the audio connection failed, before giving up (then `audio` `failed`). */
const MAX_AUDIO_RETRIES = 3;
/** Wait before re-asking for audio after a failure, ms (lets the server close the old peer first). */
const AUDIO_RETRY_DELAY_MS = 1000;
/** How long a request waits for `accepted`/`error`, ms. */
const REPLY_TIMEOUT_MS = 10_000;

type Reply = { ok: true; narrationId: string } | { ok: false; message: string };

/**
 * A seat at a narrated table, in the browser: a Colyseus room with narration mounted (our
 * `table` room or a game's own room; `narration:*` messages for captions, status and DM
 * commands) plus the narration audio, direct WebRTC from the server or through LiveKit,
 * whichever the server runs (plugins/audio-webrtc/PROTOCOL.md).
 *
 * Events: `caption`, `narration-start`, `narration-end`, `state`, `seat`, `audio`, `connection`, `error`, `leave`.
 *
 * Reconnection: when the socket drops, the Colyseus SDK retries with back-off (its `reconnection`
 * options) while the server holds the seat (the `table` room: config `table.reconnectWindowMs`).
 * Meanwhile `connection` is `reconnecting`, requests fail at once with "not connected", and DM
 * commands are refused with an `error` event instead of being queued for later; once back, the
 * audio is renegotiated from scratch. Giving up ends in `connection` `closed` and `leave`.
 */
export class NarrationClient extends TypedEmitter<NarrationClientEvents> {
  private readonly output: AudioOutput;
  private readonly roomState: RoomState;
  private transport: AudioTransport | null = null;
  private audioStateValue: AudioState = 'idle';
  private mode: 'direct' | 'livekit' | null = null;
  private audioRetries = 0;
  private wantAudio = false;
  private left = false;
  private connectionValue: ConnectionState = 'connected';
  private seatValue: SeatEvent | null = null;
  private readonly pending = new Map<string, Array<(r: Reply) => void>>();

  private constructor(readonly room: Room, options: ConnectOptions) {
    super();
    this.output = new AudioOutput((locked) => this.onLockChange(locked), options.audioElement);
    this.roomState = new RoomState(room.sessionId, (s) => this.emit('state', s));
    room.onStateChange((state: unknown) => this.roomState.updatePlayers(state));
    room.onMessage('narration:status', (m: { status: string }) => this.roomState.updateStatus(m.status));
    room.onMessage('narration:caption', (c: { narrationId: string; index: number; text: string }) => this.emit('caption', c));
    room.onMessage('table:seat', (m: SeatEvent) => {
      this.seatValue = { role: m.role === 'dm' ? 'dm' : 'player', reason: String(m.reason) };
      this.emit('seat', this.seatValue);
    });
    room.onDrop((code: number) => this.onDrop(code));
    room.onReconnect(() => this.onReconnect());
    room.onLeave((code: number) => {
      this.closeAudio();
      this.failPending('not connected: the room connection closed');
      this.setConnection('closed', code);
      if (!this.left) this.emit('leave', { code });
    });
    room.onMessage('narration:accepted', (m: { type: string; narrationId: string }) => this.reply(m.type, { ok: true, narrationId: m.narrationId }));
    room.onMessage('narration:error', (m: { type: string; code?: string; message: string; narrationId?: string }) => {
      // An error about a narration already accepted (`synthesis_failed`, `llm_failed`) answers no request.
      if (m.narrationId !== undefined || !this.reply(m.type, { ok: false, message: m.message })) this.emit('error', m);
    });
    room.onMessage('narration:start', (m: { narrationId: string; trigger: string }) => this.emit('narration-start', m));
    room.onMessage('narration:end', (r: NarrationReport) => this.emit('narration-end', r));
    room.onMessage('audio:offer', (m: { sdp: string }) => void this.onOffer(m.sdp));
    room.onMessage('audio:candidate', (m: CandidateMessage) => {
      if (this.transport instanceof DirectTransport) void this.transport.handleCandidate(m);
    });
    room.onMessage('audio:livekit', (m: LivekitGrant) => void this.onLivekit(m));
    room.onMessage('audio:state', (m: { state: TransportState; reason?: string }) => this.onTransportState(m.state, m.reason));
    room.onMessage('audio:error', (m: { message: string }) => {
      this.emit('error', { type: 'audio', message: m.message });
      this.setAudioState('failed', m.message);
    });
  }

  /**
   * Joins the room (`roomId`), creates one (`create`), or joins-or-creates one of type `roomName`
   * (default `table`), then asks for the narration audio unless `audio: false`.
   * @throws Error from the server when it refuses the seat (bad name, wrong dmSecret)
   */
  static async connect(options: ConnectOptions): Promise<NarrationClient> {
    const join = {
      ...options.joinOptions,
      name: options.name,
      seat: options.role,
      ...(options.role === 'dm' && options.dmSecret ? { dmSecret: options.dmSecret } : {}),
      ...(options.tableCode ? { tableCode: options.tableCode } : {}),
    };
    const sdk = new Client(options.url);
    const name = options.roomName ?? 'table';
    const room = options.roomId
      ? await sdk.joinById(options.roomId, join)
      : options.create
        ? await sdk.create(name, join)
        : await sdk.joinOrCreate(name, join);
    const client = new NarrationClient(room, options);
    if (options.audio !== false) client.listen();
    return client;
  }

  /** Colyseus room id (share it so others can join with `roomId`). */
  get roomId(): string {
    return this.room.roomId;
  }

  get sessionId(): string {
    return this.room.sessionId;
  }

  /** The latest table state (players, status, own role). */
  get state(): TableStateEvent {
    return this.roomState.snapshot();
  }

  /** The role the server gave this client: its latest `seat` answer, else the room state's; null when neither said. */
  get role(): Role | null {
    return this.seatValue?.role ?? this.roomState.snapshot().role;
  }

  /** The server's latest seat answer (role and why), or null (a room that sends none). */
  get seat(): SeatEvent | null {
    return this.seatValue;
  }

  /** `connected`, `reconnecting` (the socket dropped; the SDK is retrying) or `closed`. */
  get connection(): ConnectionState {
    return this.connectionValue;
  }

  get audioState(): AudioState {
    return this.audioStateValue;
  }

  /** True while the browser blocks playback until {@link unlockAudio} runs in a user gesture. */
  get audioLocked(): boolean {
    return this.output.locked;
  }

  /** The narration's MediaStream, once received (for meters: keep the SDK's element playing it). */
  get mediaStream(): MediaStream | null {
    return this.output.mediaStream;
  }

  /** The `<audio>` element playing the narration. */
  get audioElement(): HTMLAudioElement {
    return this.output.element;
  }

  /** The direct-mode peer connection, or null (LiveKit mode, or not yet negotiated). */
  get peerConnection(): RTCPeerConnection | null {
    return this.transport?.peerConnection() ?? null;
  }

  /** Asks the server for the narration audio (`audio:join`); again renegotiates from scratch. */
  listen(): void {
    this.wantAudio = true;
    this.setAudioState('connecting');
    this.room.send('audio:join', {});
  }

  /**
   * Sends a game event; the server's rules turn it into narration.
   * @returns the narration id @throws Error with the server's reason when refused
   */
  send(event: GameEvent): Promise<string> {
    return this.request('narration:event', event);
  }

  /** DM: narrates `text`, queued behind what plays. @returns the narration id @throws Error when refused */
  narrate(text: string, voice?: string): Promise<string> {
    return this.request('narration:narrate', voice ? { text, voice } : { text });
  }

  /**
   * DM: the server's language model writes and narrates an answer to `prompt` (`narration:narrate_llm`,
   * plugins/llm-openai). Its failures later arrive as `error` events with code `llm_failed`.
   * @returns the narration id @throws Error when refused (no language model mounted: code `no_llm`)
   */
  narrateLlm(prompt: string, voice?: string): Promise<string> {
    return this.request('narration:narrate_llm', voice ? { prompt, voice } : { prompt });
  }

  /**
   * DM: narrates text as it is produced (e.g. tokens from a language model): `narration:narrate_start`,
   * one `narration:narrate_delta` per piece, `narration:narrate_end` (also when the iterable throws).
   * @returns the narration id @throws Error when the server refuses the stream, or the iterable's error
   */
  async narrateStream(pieces: AsyncIterable<string> | Iterable<string>, voice?: string): Promise<string> {
    const id = await this.request('narration:narrate_start', voice ? { voice } : {});
    try {
      for await (const text of pieces) if (text) this.room.send('narration:narrate_delta', { text });
    } finally {
      this.room.send('narration:narrate_end', {});
    }
    return id;
  }

  /** DM: stops the narration playing and those queued (or only `narrationId`). Refusals arrive as `error` events. */
  cancel(narrationId?: string): void {
    this.command('narration:cancel', narrationId ? { narrationId } : {});
  }

  /** DM: holds playback (the room keeps its place). Refusals arrive as `error` events. */
  pause(): void {
    this.command('narration:pause', {});
  }

  /** DM: continues after {@link pause}. */
  resume(): void {
    this.command('narration:resume', {});
  }

  /**
   * DM: gives the DM seat to someone seated (`table:handover`, the `table` room's); both get a `seat`
   * event. Refusals arrive as `error` events.
   */
  handover(sessionId: string): void {
    this.command('table:handover', { sessionId });
  }

  /** Local playback volume in [0, 1]. @throws RangeError outside it */
  setVolume(volume: number): void {
    this.output.setVolume(volume);
  }

  /** Retries playback blocked by autoplay; call from a click/tap handler. Resolves true when playing. */
  async unlockAudio(): Promise<boolean> {
    const ok = await this.output.unlock();
    if (ok && this.output.mediaStream) this.setAudioState('playing');
    return ok;
  }

  /** Receive-side stats of the narration track (nulls before it arrives, or when LiveKit hides them). */
  getStats(): Promise<AudioStats> {
    return this.transport ? this.transport.stats() : Promise.resolve(NO_STATS);
  }

  /** Stops listening and leaves the room. */
  async leave(): Promise<void> {
    if (this.left) return;
    this.left = true;
    if (this.wantAudio) this.room.send('audio:leave', {});
    this.closeAudio();
    this.output.close();
    await this.room.leave(true).catch(() => undefined);
  }

  /** Sends a fire-and-forget command now, or reports why not (never queued across a reconnection: a late cancel would surprise). */
  private command(type: string, payload: unknown): void {
    if (this.connectionValue !== 'connected') this.emit('error', { type, message: `not connected (${this.connectionValue})` });
    else this.room.send(type, payload);
  }

  private request(type: string, payload: unknown): Promise<string> {
    if (this.connectionValue !== 'connected') return Promise.reject(new Error(`not connected (${this.connectionValue})`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.pending.get(type);
        list?.splice(list.indexOf(settle), 1);
        reject(new Error(`no reply to "${type}" within ${REPLY_TIMEOUT_MS} ms`));
      }, REPLY_TIMEOUT_MS);
      const settle = (r: Reply) => {
        clearTimeout(timer);
        if (r.ok) resolve(r.narrationId);
        else reject(new Error(r.message));
      };
      const list = this.pending.get(type) ?? [];
      list.push(settle);
      this.pending.set(type, list);
      this.room.send(type, payload);
    });
  }

  /** Settles the oldest request of `type` (the server answers one client in order). @returns false when none waited */
  private reply(type: string, r: Reply): boolean {
    const settle = this.pending.get(type)?.shift();
    settle?.(r);
    return settle !== undefined;
  }

  /** Rejects every request waiting for a reply: none can come on a dropped socket. */
  private failPending(message: string): void {
    const waiting = [...this.pending.values()].flat();
    this.pending.clear();
    for (const settle of waiting) settle({ ok: false, message });
  }

  private onDrop(code: number): void {
    this.failPending('not connected: the connection dropped before the server answered');
    this.setConnection('reconnecting', code);
    // The peer rode on the old connection's signaling; a fresh one is negotiated once back.
    this.transport?.close();
    this.transport = null;
    if (this.wantAudio) this.setAudioState('connecting', 'reconnecting to the table');
  }

  private onReconnect(): void {
    this.setConnection('connected');
    if (this.wantAudio && !this.left) {
      this.audioRetries = 0;
      this.listen();
    }
  }

  private setConnection(state: ConnectionState, code?: number): void {
    if (state === this.connectionValue) return;
    this.connectionValue = state;
    this.emit('connection', code === undefined ? { state } : { state, code });
  }

  private async onOffer(sdp: string): Promise<void> {
    if (!(this.transport instanceof DirectTransport)) {
      this.transport?.close();
      this.mode = 'direct';
      this.transport = new DirectTransport((t, p) => this.room.send(t, p), this.transportCallbacks());
    }
    try {
      await (this.transport as DirectTransport).handleOffer(sdp);
    } catch (err) {
      this.emit('error', { type: 'audio', message: `could not answer the server's offer: ${(err as Error).message}` });
      this.onTransportState('failed', 'offer refused');
    }
  }

  private async onLivekit(grant: LivekitGrant): Promise<void> {
    this.transport?.close();
    this.mode = 'livekit';
    try {
      this.transport = await LivekitTransport.connect(grant, this.transportCallbacks());
    } catch (err) {
      this.emit('error', { type: 'audio', message: `could not join LiveKit room ${grant.room}: ${(err as Error).message}` });
      this.setAudioState('failed', 'LiveKit connect failed');
    }
  }

  private transportCallbacks() {
    return {
      onStream: (stream: MediaStream) => {
        void this.output.attach(stream).then((playing) => {
          if (playing) this.setAudioState('playing');
        });
      },
      onState: (state: TransportState, reason?: string) => this.onTransportState(state, reason),
    };
  }

  private onTransportState(state: TransportState, reason?: string): void {
    if (state === 'connected') {
      this.audioRetries = 0;
      // `playing` outranks `connected`: both sides report connected, often after the track already plays.
      if (this.audioStateValue !== 'playing' && !this.output.locked) this.setAudioState(this.output.mediaStream ? 'playing' : 'connected');
      return;
    }
    if (state === 'failed' && this.wantAudio && !this.left && this.audioRetries < MAX_AUDIO_RETRIES) {
      this.audioRetries++;
      this.setAudioState('connecting', reason);
      setTimeout(() => !this.left && this.listen(), AUDIO_RETRY_DELAY_MS);
      return;
    }
    if (state === 'connecting' && (this.audioStateValue === 'playing' || this.audioStateValue === 'locked')) return;
    this.setAudioState(state, reason);
  }

  private onLockChange(locked: boolean): void {
    if (locked) this.setAudioState('locked', 'autoplay blocked: call unlockAudio() from a user gesture');
    else if (this.output.mediaStream) this.setAudioState('playing');
  }

  private setAudioState(state: AudioState, reason?: string): void {
    if (state === this.audioStateValue && state !== 'failed') return;
    this.audioStateValue = state;
    this.emit('audio', reason ? { state, mode: this.mode, reason } : { state, mode: this.mode });
  }

  private closeAudio(): void {
    this.transport?.close();
    this.transport = null;
    if (this.audioStateValue !== 'idle') this.setAudioState('closed');
  }
}
