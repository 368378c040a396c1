/**
 * Child process of {@link BenchListeners} (bench/webrtc-listeners.ts): the bench's WebRTC players.
 * One werift `RTCPeerConnection` per listener, answering the room's `webrtc` sink over the signaling
 * messages the parent relays (IPC ↔ the sink's BroadcastChannel), and counting what arrives: packets
 * and sequence gaps per listener. A separate process so the listeners' SRTP/DTLS work and memory do
 * not show in the narrator process's RSS or event loop (they still share the machine's cores).
 */
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import type { FromSink, ToSink } from '../plugins/audio-webrtc/signaling.ts';

/** Parent → child. */
export type ToListeners =
  | { type: 'listen'; roomId: string; sessionId: string }
  | { type: 'signal'; msg: FromSink }
  | { type: 'forget'; roomId: string }
  | { type: 'stats'; id: number };

/** Per-listener counts. */
export interface ListenerCounts {
  readonly roomId: string;
  readonly sessionId: string;
  readonly packets: number;
  /** Sequence steps other than +1 (lost, repeated or reordered packets). */
  readonly gaps: number;
}

/** Child → parent. */
export type FromListeners = { type: 'signal'; msg: ToSink } | { type: 'stats'; id: number; listeners: ListenerCounts[] };

interface Listener {
  readonly roomId: string;
  readonly pc: RTCPeerConnection;
  packets: number;
  gaps: number;
  lastSeq: number;
}

const listeners = new Map<string, Listener>();
const send = (m: FromListeners): void => void process.send!(m);

function listen(roomId: string, sessionId: string): void {
  const pc = new RTCPeerConnection({
    iceServers: [],
    codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 })], video: [] },
  });
  const l: Listener = { roomId, pc, packets: 0, gaps: 0, lastSeq: -1 };
  listeners.set(sessionId, l);
  pc.onIceCandidate.subscribe((c) => {
    const cand = c ? { candidate: c.candidate ?? '', sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null } : { candidate: '', sdpMid: null, sdpMLineIndex: null };
    send({ type: 'signal', msg: { roomId, sessionId, kind: 'candidate', ...cand } });
  });
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      const seq = rtp.header.sequenceNumber;
      if (l.lastSeq >= 0 && ((seq - l.lastSeq) & 0xffff) !== 1) l.gaps++;
      l.lastSeq = seq;
      l.packets++;
    });
  });
}

async function onSignal(msg: FromSink): Promise<void> {
  if (!('sessionId' in msg)) return;
  const l = listeners.get(msg.sessionId);
  if (!l) return;
  if (msg.kind === 'offer') {
    await l.pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
    await l.pc.setLocalDescription(await l.pc.createAnswer());
    send({ type: 'signal', msg: { roomId: l.roomId, sessionId: msg.sessionId, kind: 'answer', sdp: l.pc.localDescription!.sdp } });
  } else if (msg.kind === 'candidate' && msg.candidate) {
    await l.pc.addIceCandidate({ candidate: msg.candidate, sdpMid: msg.sdpMid ?? undefined, sdpMLineIndex: msg.sdpMLineIndex ?? undefined });
  }
}

process.on('message', (m: ToListeners) => {
  if (m.type === 'listen') listen(m.roomId, m.sessionId);
  else if (m.type === 'signal') void onSignal(m.msg).catch((err: unknown) => process.stderr.write(`bench listener: ${String(err)}\n`));
  else if (m.type === 'forget') {
    for (const [id, l] of listeners) {
      if (l.roomId !== m.roomId) continue;
      listeners.delete(id);
      void l.pc.close().catch(() => undefined);
    }
  } else if (m.type === 'stats') {
    send({ type: 'stats', id: m.id, listeners: [...listeners].map(([sessionId, l]) => ({ roomId: l.roomId, sessionId, packets: l.packets, gaps: l.gaps })) });
  }
});
process.on('disconnect', () => process.exit(0));
