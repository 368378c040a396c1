import type { AudioStats } from './types.ts';

/** Peer/room state a transport reports (PROTOCOL.md `audio:state`). */
export type TransportState = 'connecting' | 'connected' | 'failed' | 'closed';

/** What a transport tells the client: the remote track arrived, or its connection changed. */
export interface TransportCallbacks {
  onStream(stream: MediaStream): void;
  onState(state: TransportState, reason?: string): void;
}

/** One way of receiving the narration track: a direct peer with the server, or a LiveKit room. */
export interface AudioTransport {
  readonly mode: 'direct' | 'livekit';
  /** Receive-side figures of the narration track (nulls when unreachable). */
  stats(): Promise<AudioStats>;
  /** The peer connection carrying the track, when reachable (tests read its stats). */
  peerConnection(): RTCPeerConnection | null;
  /** Closes the connection; no callback fires afterwards. */
  close(): void;
}
