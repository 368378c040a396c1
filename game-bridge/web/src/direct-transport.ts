import type { AudioTransport, TransportCallbacks } from './audio-transport.ts';
import { inboundAudioStats, NO_STATS } from './inbound-stats.ts';
import type { AudioStats } from './types.ts';

/** `audio:candidate` payload (PROTOCOL.md); `candidate: ""` ends the candidates. */
export interface CandidateMessage {
  readonly candidate: string;
  readonly sdpMid: string | null;
  readonly sdpMLineIndex: number | null;
}

/**
 * Direct mode (plugins/audio-webrtc/PROTOCOL.md): the server offers one sendonly Opus
 * m-line, we answer and trickle ICE candidates both ways over the room. Candidates that
 * arrive before the offer is applied wait in a queue, since `addIceCandidate` needs a
 * remote description. A new offer replaces the peer (the server renegotiates by
 * creating a fresh one after `audio:join`).
 */
export class DirectTransport implements AudioTransport {
  readonly mode = 'direct' as const;
  private pc: RTCPeerConnection | null = null;
  private pendingCandidates: CandidateMessage[] = [];
  private closed = false;

  /**
   * @param send sends a room message (`audio:answer`, `audio:candidate`)
   * @param iceServers STUN/TURN servers for the browser side (default none: same host or LAN)
   */
  constructor(
    private readonly send: (type: string, payload: unknown) => void,
    private readonly callbacks: TransportCallbacks,
    private readonly iceServers: RTCIceServer[] = [],
  ) {}

  /** Applies the server's offer and sends our answer. @throws DOMException when the SDP is refused */
  async handleOffer(sdp: string): Promise<void> {
    if (this.closed) return;
    this.pc?.close();
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = pc;
    pc.ontrack = (ev) => {
      if (this.pc !== pc || ev.track.kind !== 'audio') return;
      this.callbacks.onStream(ev.streams[0] ?? new MediaStream([ev.track]));
    };
    pc.onicecandidate = (ev) => {
      if (this.pc !== pc) return;
      const c = ev.candidate;
      this.send('audio:candidate', c ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } : { candidate: '', sdpMid: null, sdpMLineIndex: null });
    };
    pc.onconnectionstatechange = () => {
      if (this.pc !== pc) return;
      const s = pc.connectionState;
      if (s === 'connected') this.callbacks.onState('connected');
      else if (s === 'failed') this.callbacks.onState('failed', 'browser peer connection failed');
      else if (s === 'new' || s === 'connecting') this.callbacks.onState('connecting');
    };
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this.send('audio:answer', { sdp: pc.localDescription?.sdp ?? answer.sdp });
    const queued = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const c of queued) await this.addCandidate(pc, c);
  }

  /** Adds a trickled server candidate (queued until the offer is applied). */
  async handleCandidate(c: CandidateMessage): Promise<void> {
    if (this.closed) return;
    const pc = this.pc;
    if (!pc || !pc.remoteDescription) {
      this.pendingCandidates.push(c);
      return;
    }
    await this.addCandidate(pc, c);
  }

  async stats(): Promise<AudioStats> {
    return this.pc ? inboundAudioStats(await this.pc.getStats()) : NO_STATS;
  }

  peerConnection(): RTCPeerConnection | null {
    return this.pc;
  }

  close(): void {
    this.closed = true;
    this.pc?.close();
    this.pc = null;
  }

  private async addCandidate(pc: RTCPeerConnection, c: CandidateMessage): Promise<void> {
    // An empty candidate is end-of-candidates; Chrome accepts it only with a mid, and needs nothing for it.
    if (!c.candidate) return;
    try {
      await pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
    } catch (err) {
      // One unusable candidate (e.g. an IPv6 one on a v4-only host) must not end the negotiation.
      console.warn('narration-client: ICE candidate refused', err);
    }
  }
}
