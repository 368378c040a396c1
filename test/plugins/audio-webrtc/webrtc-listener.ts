import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import OpusScript from 'opusscript';
import type { Room } from '@colyseus/sdk';
import { expect } from 'chai';
import { nowMs } from '../../../server/threads/spawn-worker.ts';

/** One RTP packet as the listener received it. */
export interface ReceivedPacket {
  readonly seq: number;
  readonly timestamp: number;
  readonly payload: Buffer;
  /** Index in arrival order. */
  readonly index: number;
  /** When it arrived, epoch ms (`nowMs()`: comparable across threads). */
  readonly atMs: number;
}

/** Every packet, in sequence order, steps the RTP timestamp by exactly 960 per sequence step: no packet lost or repeated. */
export function expectContinuousTimestamps(packets: readonly ReceivedPacket[]): void {
  const sorted = [...packets].sort((a, b) => ((a.seq - packets[0]!.seq) & 0xffff) - ((b.seq - packets[0]!.seq) & 0xffff));
  for (let i = 1; i < sorted.length; i++) {
    const dSeq = (sorted[i]!.seq - sorted[i - 1]!.seq) & 0xffff;
    const dTs = (sorted[i]!.timestamp - sorted[i - 1]!.timestamp) >>> 0;
    expect(dSeq, `sequence step at packet ${i}`).to.equal(1);
    expect(dTs, `timestamp step at packet ${i}`).to.equal(960);
  }
}

/**
 * Plays the browser in tests: a werift RTCPeerConnection that answers the server's `audio:offer`
 * on a Colyseus room, trickles candidates both ways and records every RTP packet it receives.
 */
export class WebRtcListener {
  readonly packets: ReceivedPacket[] = [];
  readonly states: string[] = [];
  readonly errors: string[] = [];
  private pc: RTCPeerConnection | null = null;
  private stateWaiters: Array<() => void> = [];

  constructor(readonly room: Room) {
    room.onMessage('audio:offer', (m: { sdp: string }) => void this.onOffer(m.sdp));
    room.onMessage('audio:candidate', (c: { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null }) => {
      if (c.candidate && this.pc) void this.pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? undefined, sdpMLineIndex: c.sdpMLineIndex ?? undefined }).catch(() => undefined);
    });
    room.onMessage('audio:state', (m: { state: string }) => {
      this.states.push(m.state);
      this.notify();
    });
    room.onMessage('audio:error', (m: { message: string }) => {
      this.errors.push(m.message);
      this.notify();
    });
  }

  /** Sends `audio:join` and resolves when the server reports `connected`. */
  async listen(timeoutMs = 15_000): Promise<void> {
    this.room.send('audio:join', {});
    await this.until(() => this.states.includes('connected'), timeoutMs, 'audio:state connected');
  }

  /** Resolves when `predicate` holds (checked on each state/error message and every 20 ms). */
  async until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const start = Date.now();
    while (!predicate()) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}; states=${this.states.join(',')} errors=${this.errors.join(' | ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 20);
        this.stateWaiters.push(() => (clearTimeout(t), r()));
      });
    }
  }

  /** Decodes every packet from `from` on (arrival order) to PCM s16 mono at 48 kHz; returns each packet's RMS. */
  rmsPerPacket(from = 0): number[] {
    const dec = new OpusScript(48_000, 1);
    try {
      return this.packets.slice(from).map((p) => {
        const pcm = dec.decode(p.payload);
        const s = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
        let sum = 0;
        for (const v of s) sum += v * v;
        return Math.sqrt(sum / Math.max(1, s.length));
      });
    } finally {
      dec.delete();
    }
  }

  async close(): Promise<void> {
    await this.pc?.close().catch(() => undefined);
    this.pc = null;
  }

  private notify(): void {
    const w = this.stateWaiters;
    this.stateWaiters = [];
    for (const f of w) f();
  }

  private async onOffer(sdp: string): Promise<void> {
    await this.pc?.close().catch(() => undefined);
    const pc = new RTCPeerConnection({
      iceServers: [],
      codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 })], video: [] },
    });
    this.pc = pc;
    pc.onIceCandidate.subscribe((c) => {
      this.room.send('audio:candidate', c ? { candidate: c.candidate ?? '', sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null } : { candidate: '', sdpMid: null, sdpMLineIndex: null });
    });
    pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        this.packets.push({ seq: rtp.header.sequenceNumber, timestamp: rtp.header.timestamp, payload: Buffer.from(rtp.payload), index: this.packets.length, atMs: nowMs() });
      });
    });
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this.room.send('audio:answer', { sdp: pc.localDescription!.sdp });
  }
}
