import type { Logger } from 'pino';
import type { AudioFrame, AudioSink } from '../../server/sinks/audio-sink.ts';
import { nowMs } from '../../server/threads/spawn-worker.ts';
import { LatencyWindow } from '../../server/observability/latency-window.ts';
import { DUE_TO_SEND_BUCKETS_MS, DUE_TO_SEND_WINDOW, LATE_SEND_MS, type FromSink, type IceCandidateInit, type WebRtcSinkStats } from './signaling.ts';
import type { RoomOpusEncoder } from './room-opus-encoder.ts';
import { WebRtcPeer, type IceServer } from './webrtc-peer.ts';

/** Most peers one room's sink keeps; a `join` beyond it is refused (64 = the table room's maxClients). */
export const MAX_PEERS_PER_ROOM = 64;

/**
 * One room's `webrtc` sink (direct mode), on a sink worker (or the playout thread with
 * `playout.sinkWorkers: 0`, see server/sinks/sink-worker-pool.ts): each frame is encoded ONCE
 * ({@link RoomOpusEncoder}: 48 kHz, 960 samples, silence included) and the packet goes to every
 * connected peer of the room. Signaling for the room's peers comes in through {@link handle}
 * and goes out through `post` (the BroadcastChannel, see signaling-hub.ts).
 *
 * `write` never throws and never waits: an encode failure is counted and logged, a peer whose
 * werift call fails is closed and reported (`state: failed`), the other peers go on.
 */
export class WebRtcSink implements AudioSink {
  readonly name = 'webrtc';
  private readonly peers = new Map<string, WebRtcPeer>();
  private framesEncoded = 0;
  private packetsSent = 0;
  private writeErrors = 0;
  private encodeMsTotal = 0;
  private readonly dueToSend = new LatencyWindow(DUE_TO_SEND_WINDOW);
  private lateSends = 0;
  private readonly dueToSendBuckets = DUE_TO_SEND_BUCKETS_MS.map(() => 0);
  private closed = false;
  /** Built at the first `join`: the resampler and Opus state hold WASM heaps (tens of MB) a room nobody listens to never needs. */
  private encoder: RoomOpusEncoder | undefined;
  private encoderReady: Promise<RoomOpusEncoder> | undefined;

  /**
   * @param roomId Colyseus room id
   * @param createEncoder builds the room's encoder (at the first listener); the sink owns and closes it
   * @param post sends a message to the main thread
   */
  constructor(
    readonly roomId: string,
    private readonly createEncoder: () => Promise<RoomOpusEncoder>,
    private readonly iceServers: readonly IceServer[],
    private readonly post: (msg: FromSink) => void,
    private readonly log: Logger,
  ) {}

  /**
   * Encodes the frame once and sends it to every connected peer. Never throws. A room nobody listens to
   * costs nothing: RTP timestamps come from `frame.seq`, so skipped frames leave no gap for a later peer.
   */
  write(frame: AudioFrame): void {
    if (this.closed || this.peers.size === 0 || !this.encoder) return;
    let payload: Buffer;
    try {
      const t0 = performance.now();
      payload = this.encoder.encode(frame.samples);
      this.encodeMsTotal += performance.now() - t0;
      this.framesEncoded++;
    } catch (err) {
      // Log the first few only: at 50 frames/s a persistent failure would flood the log.
      if (this.writeErrors++ < 3) this.log.error({ roomId: this.roomId, seq: frame.seq, err }, 'opus encode failed; frame skipped');
      return;
    }
    let sent = false;
    for (const [sessionId, peer] of this.peers) {
      try {
        if (peer.send(payload, frame.seq)) {
          this.packetsSent++;
          sent = true;
        }
      } catch (err) {
        this.fail(sessionId, peer, `sending RTP failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (sent) {
      const delayMs = nowMs() - (frame.dueMs ?? frame.timeMs);
      this.dueToSend.note(delayMs);
      if (delayMs > LATE_SEND_MS) this.lateSends++;
      this.dueToSendBuckets[DUE_TO_SEND_BUCKETS_MS.findIndex((b) => delayMs <= b)]!++;
    }
  }

  /** Figures of this sink now. */
  stats(): WebRtcSinkStats {
    let connectedPeers = 0;
    for (const p of this.peers.values()) if (p.state === 'connected') connectedPeers++;
    const d = this.dueToSend.summary();
    return {
      peers: this.peers.size,
      connectedPeers,
      framesEncoded: this.framesEncoded,
      packetsSent: this.packetsSent,
      writeErrors: this.writeErrors,
      meanEncodeUs: this.framesEncoded ? (this.encodeMsTotal * 1000) / this.framesEncoded : 0,
      dueToSendP50Ms: d.n ? d.p50 : 0,
      dueToSendP99Ms: d.n ? d.p99 : 0,
      dueToSendMaxMs: d.n ? d.max : 0,
      framesTimed: this.dueToSend.total,
      lateSends: this.lateSends,
      dueToSendBuckets: [...this.dueToSendBuckets],
    };
  }

  /** A client asks to listen: replaces any peer it had, sends `state: connecting` and the offer. */
  async join(sessionId: string): Promise<void> {
    if (this.closed) return;
    const previous = this.peers.get(sessionId);
    if (previous) {
      this.peers.delete(sessionId);
      await previous.close('replaced by a new join');
    }
    if (this.peers.size >= MAX_PEERS_PER_ROOM) {
      this.post({ roomId: this.roomId, sessionId, kind: 'error', message: `audio:join: room already has ${MAX_PEERS_PER_ROOM} listeners` });
      return;
    }
    let peer: WebRtcPeer | undefined;
    try {
      await this.ensureEncoder();
      if (this.closed) return;
      peer = new WebRtcPeer(this.iceServers, {
        onCandidate: (c) => this.post({ roomId: this.roomId, sessionId, kind: 'candidate', ...c }),
        onState: (state, reason) => {
          this.post({ roomId: this.roomId, sessionId, kind: 'state', state, ...(reason ? { reason } : {}) });
          if ((state === 'failed' || state === 'closed') && peer) {
            if (this.peers.get(sessionId) === peer) this.peers.delete(sessionId);
            void peer.close();
          }
        },
      });
      this.peers.set(sessionId, peer);
      this.post({ roomId: this.roomId, sessionId, kind: 'state', state: 'connecting' });
      const sdp = await peer.createOffer();
      if (this.peers.get(sessionId) !== peer) return; // left or re-joined meanwhile
      this.post({ roomId: this.roomId, sessionId, kind: 'offer', sdp });
    } catch (err) {
      this.log.warn({ roomId: this.roomId, sessionId, err }, 'creating a peer failed');
      const message = `audio:join: offer failed: ${err instanceof Error ? err.message : String(err)}`;
      this.post({ roomId: this.roomId, sessionId, kind: 'error', message });
      if (peer) this.fail(sessionId, peer, message);
    }
  }

  /** Applies a client's answer; a refused one gets `error` and leaves the peer waiting for a correct answer. */
  async answer(sessionId: string, sdp: string): Promise<void> {
    const peer = this.peerOrError(sessionId, 'answer');
    if (!peer) return;
    try {
      await peer.applyAnswer(sdp);
    } catch (err) {
      this.post({ roomId: this.roomId, sessionId, kind: 'error', message: `audio:answer: refused: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  /** Applies a client's trickled candidate; a refused one gets `error`. */
  async candidate(sessionId: string, c: IceCandidateInit): Promise<void> {
    const peer = this.peerOrError(sessionId, 'candidate');
    if (!peer) return;
    try {
      await peer.addCandidate(c);
    } catch (err) {
      this.post({ roomId: this.roomId, sessionId, kind: 'error', message: `audio:candidate: refused: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  /** The client stopped listening (or left the room): closes and removes its peer. */
  async leave(sessionId: string): Promise<void> {
    const peer = this.peers.get(sessionId);
    if (!peer) return;
    this.peers.delete(sessionId);
    await peer.close('left');
  }

  /** Closes every peer and the encoder; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const peers = [...this.peers.values()];
    this.peers.clear();
    await Promise.allSettled(peers.map((p) => p.close('room closed')));
    this.encoder?.close();
  }

  /** The encoder, built once; a failed build is retried at the next join. */
  private ensureEncoder(): Promise<RoomOpusEncoder> {
    this.encoderReady ??= this.createEncoder().then(
      (encoder) => {
        if (this.closed) encoder.close();
        else this.encoder = encoder;
        return encoder;
      },
      (err: unknown) => {
        this.encoderReady = undefined;
        throw err;
      },
    );
    return this.encoderReady;
  }

  private peerOrError(sessionId: string, what: string): WebRtcPeer | undefined {
    const peer = this.peers.get(sessionId);
    if (!peer) this.post({ roomId: this.roomId, sessionId, kind: 'error', message: `audio:${what}: no peer for this client; send audio:join first` });
    return peer;
  }

  /** Removes the peer now (so the next frame skips it); its `onState` reports `failed` to the client. */
  private fail(sessionId: string, peer: WebRtcPeer, reason: string): void {
    if (this.peers.get(sessionId) === peer) this.peers.delete(sessionId);
    void peer.fail(reason);
  }
}
