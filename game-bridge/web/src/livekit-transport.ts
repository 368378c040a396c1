import type { AudioTransport, TransportCallbacks } from './audio-transport.ts';
import { inboundAudioStats, NO_STATS } from './inbound-stats.ts';
import type { AudioStats } from './types.ts';

/** `audio:livekit` payload (PROTOCOL.md). */
export interface LivekitGrant {
  readonly url: string;
  readonly token: string;
  readonly room: string;
}

/** Name of the track the server publishes per room (PROTOCOL.md, livekit mode). */
export const NARRATION_TRACK = 'narration';

type LkModule = typeof import('livekit-client');
type LkRoom = InstanceType<LkModule['Room']>;
type LkRemoteTrack = import('livekit-client').RemoteTrack;

/**
 * LiveKit mode: joins the LiveKit room with the subscribe-only token the server sent
 * and hands the `narration` track's MediaStream to the client. `livekit-client` is
 * imported dynamically so direct-mode pages never load it.
 */
export class LivekitTransport implements AudioTransport {
  readonly mode = 'livekit' as const;
  private track: LkRemoteTrack | null = null;
  private closed = false;

  private constructor(private readonly room: LkRoom) {}

  /** Connects and subscribes. @throws Error when the LiveKit server refuses the token or cannot be reached */
  static async connect(grant: LivekitGrant, callbacks: TransportCallbacks): Promise<LivekitTransport> {
    const lk: LkModule = await import('livekit-client');
    const room = new lk.Room({ adaptiveStream: false, dynacast: false });
    const t = new LivekitTransport(room);
    room.on(lk.RoomEvent.TrackSubscribed, (track, publication) => {
      if (t.closed || track.kind !== lk.Track.Kind.Audio || publication.trackName !== NARRATION_TRACK) return;
      t.track = track;
      callbacks.onStream(new MediaStream([track.mediaStreamTrack]));
    });
    room.on(lk.RoomEvent.ConnectionStateChanged, (state) => {
      if (t.closed) return;
      if (state === lk.ConnectionState.Connected) callbacks.onState('connected');
      else if (state === lk.ConnectionState.Disconnected) callbacks.onState('closed', 'LiveKit room disconnected');
      else callbacks.onState('connecting');
    });
    callbacks.onState('connecting');
    await room.connect(grant.url, grant.token, { autoSubscribe: true });
    return t;
  }

  async stats(): Promise<AudioStats> {
    return this.track ? inboundAudioStats(await this.track.getRTCStatsReport()) : NO_STATS;
  }

  peerConnection(): RTCPeerConnection | null {
    return null; // livekit-client keeps its subscriber peer private; stats() reads the receiver instead
  }

  close(): void {
    this.closed = true;
    void this.room.disconnect();
  }
}
