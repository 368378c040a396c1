import { z } from 'zod';

/**
 * Options of the `audio-native` plugin (config file: `plugins.audio-native`).
 *
 * - `device`: `'default'` (PortAudio's default output device), a PortAudio device
 *   id (number, as `vrpg-narrator devices` lists it) or a name matched
 *   case-insensitively, exact match first, else the first name containing it.
 * - `framesPerBuffer`: samples per PortAudio callback, 256–512. 512 at 22 050 Hz is
 *   23.2 ms, one buffer per ~20 ms frame, so the callback rarely splits a frame
 *   while staying well under the ~100 ms where narration starts to feel late;
 *   256 halves the device latency at twice the callback rate (for small rooms on
 *   fast machines). Range from the brief: below 256 ALSA underruns on a busy
 *   2-core host, above 512 the latency gain of a native sink is lost.
 * - `writeBufferMs`: audio the naudiodon stream buffers before `write` reports
 *   backpressure (its `highwaterMark`), ms.
 * - `overflowQueueMs`: audio the sink queues itself while the stream is
 *   backpressured, ms; beyond it the oldest frames are dropped (and counted) so
 *   the speakers never drift behind the room clock by more than this.
 * - `required`: false (the product rule: a missing speaker never stops a room, the
 *   sink warns once and narration goes on to the other sinks); true makes a room
 *   whose device cannot open fail to open, with the reason — for `say`, where the
 *   speakers are the only place the narration can go (issue 11: it used to exit 0
 *   having played nowhere).
 */
export const nativeAudioOptionsSchema = z
  .object({
    device: z
      .union([z.literal('default'), z.number().int().nonnegative(), z.string().trim().min(1)])
      .default('default'),
    framesPerBuffer: z.number().int().min(256).max(512).default(512),
    writeBufferMs: z.number().int().min(20).max(500).default(80),
    overflowQueueMs: z.number().int().min(20).max(2000).default(200),
    required: z.boolean().default(false),
  })
  .strict();

/** Validated options of the `audio-native` plugin (defaults applied). */
export type NativeAudioOptions = z.output<typeof nativeAudioOptionsSchema>;
