import { BroadcastChannel } from 'node:worker_threads';
import { z } from 'zod';

/**
 * Signaling between the main thread (room plugin) and the playout thread (sinks), over the
 * `BroadcastChannel` {@link SIGNAL_CHANNEL} (PROTOCOL.md, "Media (direct mode)").
 * Every message names its room and, except `sink-ready` and `stats`, the client (Colyseus sessionId).
 */

/** Name of the BroadcastChannel both threads open (PROTOCOL.md). */
export const SIGNAL_CHANNEL = 'vrpg/audio-webrtc';

/**
 * Opens this thread's end of {@link SIGNAL_CHANNEL}, unref'd so it never keeps a thread alive.
 * Messages this thread posted itself are not delivered back (BroadcastChannel semantics).
 */
export function openSignalChannel<T>(onMessage: (msg: T) => void): BroadcastChannel {
  const ch = new BroadcastChannel(SIGNAL_CHANNEL);
  ch.unref();
  ch.onmessage = (e: unknown) => onMessage((e as MessageEvent).data as T);
  return ch;
}

/** An ICE candidate as the browser's `RTCIceCandidate.toJSON()` gives it; `candidate: ""` = end of candidates. */
export interface IceCandidateInit {
  readonly candidate: string;
  readonly sdpMid: string | null;
  readonly sdpMLineIndex: number | null;
}

/** Peer state as the server reports it (`audio:state`). */
export type PeerState = 'connecting' | 'connected' | 'failed' | 'closed';

/** Main → playout. `stats` is a test/diagnostics extension to PROTOCOL.md: asks the room's sink for {@link WebRtcSinkStats}. */
export type ToSink =
  | { roomId: string; sessionId: string; kind: 'join' }
  | { roomId: string; sessionId: string; kind: 'answer'; sdp: string }
  | ({ roomId: string; sessionId: string; kind: 'candidate' } & IceCandidateInit)
  | { roomId: string; sessionId: string; kind: 'leave' }
  | { roomId: string; kind: 'stats'; requestId: number };

/** Playout → main. `stats` answers a `stats` request (extension, see {@link ToSink}). */
export type FromSink =
  | { roomId: string; sessionId: string; kind: 'offer'; sdp: string }
  | ({ roomId: string; sessionId: string; kind: 'candidate' } & IceCandidateInit)
  | { roomId: string; sessionId: string; kind: 'state'; state: PeerState; reason?: string }
  | { roomId: string; sessionId: string; kind: 'error'; message: string }
  | { roomId: string; kind: 'sink-ready' }
  | { roomId: string; kind: 'stats'; requestId: number; stats: WebRtcSinkStats };

/** Kinds only the main thread sends; a listener on the main side ignores them (BroadcastChannel echoes to every other instance). */
export const TO_SINK_KINDS: ReadonlySet<string> = new Set(['join', 'answer', 'candidate', 'leave', 'stats']);

/** Figures of one room's `webrtc` sink. */
export interface WebRtcSinkStats {
  /** Peers open now (connecting or connected). */
  readonly peers: number;
  /** Peers whose DTLS transport is connected. */
  readonly connectedPeers: number;
  /** Frames the sink got = Opus packets encoded (one per frame, silence included). */
  readonly framesEncoded: number;
  /** RTP packets handed to werift, all peers together. */
  readonly packetsSent: number;
  /** Frames whose encode or send threw (caught; the room carried on). */
  readonly writeErrors: number;
  /** Mean cost of resample + Opus encode per frame, µs; 0 before the first frame. */
  readonly meanEncodeUs: number;
  /**
   * Due→send delay of the last {@link DUE_TO_SEND_WINDOW} frames sent to at least one peer, ms: from the
   * frame's clock slot (`AudioFrame.dueMs`) to its RTP packets handed to werift for the last peer
   * (SRTP protect + UDP send follow asynchronously). Nearest-rank percentiles; 0 before the first frame.
   */
  readonly dueToSendP50Ms: number;
  readonly dueToSendP99Ms: number;
  readonly dueToSendMaxMs: number;
  /** Frames measured for due→send since the sink opened. */
  readonly framesTimed: number;
  /** Frames sent more than {@link LATE_SEND_MS} after their due time, since the sink opened. */
  readonly lateSends: number;
  /**
   * Due→send histogram since the sink opened: `[i]` counts frames with delay ≤ {@link DUE_TO_SEND_BUCKETS_MS}`[i]`
   * and above the previous bound (the last bucket is everything above 100 ms); shows whether the
   * slow sends are a few stragglers or a pattern (e.g. one per main-thread stall).
   */
  readonly dueToSendBuckets: readonly number[];
}

/**
 * Upper bounds of {@link WebRtcSinkStats.dueToSendBuckets}, ms (Prometheus-style): fine up to the 5 ms
 * target so the difference of two readings gives a period's percentiles to the bucket; one frame = 20 ms.
 */
export const DUE_TO_SEND_BUCKETS_MS: readonly number[] = [0.5, 1, 2, 3, 4, 5, 7.5, 10, 20, 50, 100, Infinity];

/** Frames of due→send kept for the percentiles: 3 000 = one minute of 20 ms frames. */
export const DUE_TO_SEND_WINDOW = 3000;

/** A send later than this after its frame's due time counts as late, ms (issue 13: due→send p99 < 5 ms). */
export const LATE_SEND_MS = 5;

// Client payloads (PROTOCOL.md, "Room messages"). Sizes: a browser's SDP for one audio m-line is
// 1–4 KB and a candidate line < 300 B; the caps stop a client from parking megabytes per peer.
const MAX_SDP_CHARS = 64 * 1024;
const MAX_CANDIDATE_CHARS = 2048;

/** `audio:join` and `audio:leave`: `{}` (absent payload accepted). */
export const emptyPayloadSchema = z.object({}).strict();

/** `audio:answer` `{ sdp }`: must be an SDP answer (starts with `v=0`) carrying an audio m-line. */
export const answerPayloadSchema = z
  .object({
    sdp: z
      .string({ error: (iss) => (iss.input === undefined ? 'sdp: required' : 'sdp: must be a string') })
      .min(1, 'sdp: is empty')
      .max(MAX_SDP_CHARS, `sdp: longer than ${MAX_SDP_CHARS} characters`)
      .refine((s) => /^v=0\r?\n/.test(s), 'sdp: not an SDP description (must start with "v=0")')
      .refine((s) => /\r?\nm=audio /.test(s), 'sdp: has no audio m-line'),
  })
  .strict();

/** `audio:candidate` `{ candidate, sdpMid, sdpMLineIndex }`. */
export const candidatePayloadSchema = z
  .object({
    candidate: z
      .string({ error: (iss) => (iss.input === undefined ? 'candidate: required' : 'candidate: must be a string') })
      .max(MAX_CANDIDATE_CHARS, `candidate: longer than ${MAX_CANDIDATE_CHARS} characters`)
      .refine((s) => s === '' || /^(a=)?candidate:/.test(s), 'candidate: must be "" or start with "candidate:"'),
    sdpMid: z.string().max(32).nullable().default(null),
    sdpMLineIndex: z.number().int().min(0).max(64).nullable().default(null),
  })
  .strict();

/**
 * One line naming what was wrong with a payload, e.g. `sdp: is empty` or `sdp: required`.
 * @param error the zod error of a failed `safeParse`
 */
export function describePayloadIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid payload';
  const field = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
  if (field && !issue.message.startsWith(`${field}:`)) return `${field}: ${issue.message}`;
  return field ? issue.message : `payload: ${issue.message}`;
}
