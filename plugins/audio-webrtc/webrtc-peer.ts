import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, type RTCRtpTransceiver } from 'werift';
import type { IceCandidateInit, PeerState } from './signaling.ts';
import { OPUS_FRAME_SAMPLES, OPUS_RATE } from './room-opus-encoder.ts';

/** An ICE server as the plugin options give it (W3C RTCIceServer). */
export interface IceServer {
  readonly urls: string | readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

/** What a peer reports to its sink (then over the channel to the client). */
export interface PeerEvents {
  onCandidate(candidate: IceCandidateInit): void;
  /** `failed` and `closed` are final: the sink removes the peer. */
  onState(state: PeerState, reason?: string): void;
}

/**
 * Opus as PROTOCOL.md fixes it: 48 000 Hz, 2 channels in the SDP (RFC 7587 §7: always `/2`),
 * mono encoded (`stereo=0`), `minptime=10;useinbandfec=1` as browsers offer it.
 */
function opusCodec(): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: 'audio/opus',
    clockRate: OPUS_RATE,
    channels: 2,
    parameters: 'minptime=10;useinbandfec=1;stereo=0',
  });
}

/**
 * One listening client's werift `RTCPeerConnection`: one sendonly Opus transceiver, the server
 * offers. RTP timestamps are derived from the room's frame index (`seq × 960` plus a random
 * per-peer base, RFC 3550 §5.1), so they step by exactly 960 per frame whatever was skipped
 * before the peer connected; the sequence number follows the frame index the same way.
 * Every werift call is caught: a failing peer ends in `failed`, never throws into the sink.
 */
export class WebRtcPeer {
  private readonly pc: RTCPeerConnection;
  private readonly transceiver: RTCRtpTransceiver;
  private readonly tsBase = Math.floor(Math.random() * 0x1_0000_0000);
  private readonly seqBase = Math.floor(Math.random() * 0x1_0000);
  private stateValue: PeerState = 'connecting';
  private sentFirst = false;
  private closing: Promise<void> | undefined;
  /** RTP packets handed to werift while connected. */
  packetsSent = 0;

  /**
   * @param iceServers STUN/TURN servers; [] = host candidates only
   * @throws Error when werift cannot build the connection
   */
  constructor(iceServers: readonly IceServer[], private readonly events: PeerEvents) {
    this.pc = new RTCPeerConnection({
      // werift's default is a public Google STUN server; the plugin's default is none (LAN/loopback).
      iceServers: iceServers.map((s) => ({ urls: typeof s.urls === 'string' ? s.urls : s.urls[0]!, username: s.username, credential: s.credential })),
      codecs: { audio: [opusCodec()], video: [] },
    });
    this.transceiver = this.pc.addTransceiver('audio', { direction: 'sendonly' });
    this.pc.onIceCandidate.subscribe((c) => {
      if (this.isFinal) return;
      // werift signals the end of gathering with undefined; the wire form of that is candidate "".
      this.events.onCandidate(c ? { candidate: c.candidate ?? '', sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null } : { candidate: '', sdpMid: null, sdpMLineIndex: null });
    });
    this.pc.connectionStateChange.subscribe((s) => {
      if (s === 'connected') this.setState('connected');
      else if (s === 'failed') this.setState('failed', 'ICE or DTLS failed');
      else if (s === 'closed') this.setState('closed');
    });
  }

  /** Current state; `failed`/`closed` are final. */
  get state(): PeerState {
    return this.stateValue;
  }

  /** True once the peer failed or closed. */
  get isFinal(): boolean {
    return this.stateValue === 'failed' || this.stateValue === 'closed';
  }

  /**
   * Creates the offer and sets it locally (werift gathers host candidates here).
   * @returns the offer SDP
   * @throws Error from werift
   */
  async createOffer(): Promise<string> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    return this.pc.localDescription?.sdp ?? offer.sdp;
  }

  /**
   * Applies the client's answer.
   * @throws Error naming what werift refused (a garbage SDP); the peer stays open for a corrected answer
   */
  async applyAnswer(sdp: string): Promise<void> {
    if (this.pc.signalingState !== 'have-local-offer') {
      throw new Error(`answer: no offer is pending (signaling state ${this.pc.signalingState})`);
    }
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /**
   * Applies a trickled candidate of the client; `candidate: ""` (end of candidates) is accepted and ignored.
   * @throws Error from werift for a candidate it cannot parse
   */
  async addCandidate(c: IceCandidateInit): Promise<void> {
    if (c.candidate === '') return;
    await this.pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? undefined, sdpMLineIndex: c.sdpMLineIndex ?? undefined });
  }

  /**
   * Sends one frame's Opus packet if the peer is connected; drops it otherwise (a late joiner
   * hears from the next frame on). Never throws: werift's async failures are reported as `failed`.
   * @param payload one Opus packet (20 ms)
   * @param frameSeq the room's frame index ({@link AudioFrame.seq})
   * @returns true when the packet was handed to werift
   */
  send(payload: Buffer, frameSeq: number): boolean {
    if (this.stateValue !== 'connected') return false;
    const header = new RtpHeader({
      timestamp: (this.tsBase + frameSeq * OPUS_FRAME_SAMPLES) >>> 0,
      sequenceNumber: (this.seqBase + frameSeq) & 0xffff,
      // RFC 3551 §4.1: marker on the first packet of a talkspurt; the stream is one long talkspurt.
      marker: !this.sentFirst,
    });
    this.sentFirst = true;
    this.packetsSent++;
    this.transceiver.sender.sendRtp(new RtpPacket(header, payload)).catch((err: unknown) => {
      void this.fail(`sending RTP failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    return true;
  }

  /** Closes the connection; idempotent, never throws. Reports `closed` unless already final. */
  async close(reason?: string): Promise<void> {
    if (!this.isFinal) this.setState('closed', reason);
    this.closing ??= this.pc.close().catch(() => {
      // Already torn down by werift; nothing left to release.
    });
    await this.closing;
  }

  /** Ends the peer as `failed` (reported with `reason`), then closes it; never throws. */
  async fail(reason: string): Promise<void> {
    this.setState('failed', reason);
    await this.close();
  }

  private setState(state: PeerState, reason?: string): void {
    if (this.isFinal || state === this.stateValue) return;
    this.stateValue = state;
    try {
      this.events.onState(state, reason);
    } catch {
      // A listener's failure must not reach werift's event loop.
    }
  }
}
