import { z } from 'zod';

/** One ICE server as `RTCPeerConnection` takes it (W3C RTCIceServer): `stun:`/`turn:`/`turns:` URLs. */
export const iceServerSchema = z
  .object({
    urls: z.union([z.string().regex(/^(stun|turn|turns):/, 'urls: must start with stun:, turn: or turns:'), z.array(z.string().regex(/^(stun|turn|turns):/, 'urls: must start with stun:, turn: or turns:')).min(1)]),
    username: z.string().min(1).optional(),
    credential: z.string().min(1).optional(),
  })
  .strict();

/** LiveKit server and API key (livekit mode). `url` is what browsers connect to (ws:// or wss://). */
export const liveKitOptionsSchema = z
  .object({
    url: z.string().regex(/^(wss?|https?):\/\//, 'livekit.url: must start with ws://, wss://, http:// or https://'),
    apiKey: z.string().min(1),
    apiSecret: z.string().min(1),
  })
  .strict();

/**
 * Options of the `audio-webrtc` plugin (config file: `plugins.audio-webrtc`).
 *
 * - `mode`: `direct` (default) — one werift peer per listening client on the playout thread;
 *   `livekit` — one published track per room into a LiveKit SFU (needs `livekit`).
 * - `bitrate`: Opus target bitrate, bits/s, 6 000–128 000 (default 32 000: RFC 7587 §3.1.1 puts
 *   fullband mono speech at 28–40 kbit/s for transparency; the range is Opus's useful span for mono).
 * - `complexity`: libopus encoder complexity 0–10 (`OPUS_SET_COMPLEXITY`); absent = libopus's default, 10.
 *   Lower trades quality for CPU per room-frame (measured here with opusscript, 48 kHz mono:
 *   10 ≈ 520 µs, 5 ≈ 350 µs, 3 ≈ 280 µs); the default is kept until quality at lower settings is measured.
 * - `iceServers`: STUN/TURN servers for direct mode; default none, so only host candidates are
 *   gathered (enough on a LAN or loopback; werift's own default would query a public Google STUN server).
 * - `livekit`: `{ url, apiKey, apiSecret }`; required when `mode` is `livekit`.
 *
 * @throws (on parse) ZodError naming the field, e.g. `livekit: required when mode is "livekit"`
 */
export const webRtcOptionsSchema = z
  .object({
    mode: z.enum(['direct', 'livekit']).default('direct'),
    bitrate: z.number().int().min(6_000).max(128_000).default(32_000),
    complexity: z.number().int().min(0).max(10).optional(),
    iceServers: z.array(iceServerSchema).default([]),
    livekit: liveKitOptionsSchema.optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.mode === 'livekit' && !o.livekit) {
      ctx.addIssue({ code: 'custom', path: ['livekit'], message: 'livekit: required when mode is "livekit" ({ url, apiKey, apiSecret })' });
    }
  });

/** Validated options of the `audio-webrtc` plugin (defaults applied). */
export type WebRtcOptions = z.output<typeof webRtcOptionsSchema>;

/** Folder name of the plugin, the key of its options in config `plugins`. */
export const WEBRTC_PLUGIN_NAME = 'audio-webrtc';
