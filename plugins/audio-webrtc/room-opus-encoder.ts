import OpusScript from 'opusscript';
import { FrameResampler } from '../../server/audio/frame-resampler.ts';

/** Opus RTP clock and the rate frames are resampled to, Hz (RFC 7587 §4.1: always 48 000). */
export const OPUS_RATE = 48_000;
/** Samples per 20 ms frame at {@link OPUS_RATE}: the RTP timestamp step per packet. */
export const OPUS_FRAME_SAMPLES = 960;
/** libopus `OPUS_SET_COMPLEXITY_REQUEST` (opus_defines.h): encoder complexity 0–10, CPU against quality. */
const OPUS_SET_COMPLEXITY = 4010;

/**
 * One room's Opus stream: each 20 ms frame (s16 mono at the room rate) is resampled to 48 kHz
 * with libsamplerate and encoded once, mono, VOIP application (speech), so every peer of the room
 * gets the same payload. Silence is encoded too (Opus DTX is off: a packet per frame keeps the
 * RTP timestamps continuous, see PROTOCOL.md).
 * Resampling to fixed 960-sample frames is {@link FrameResampler}'s (zero-padded while its filter primes).
 */
export class RoomOpusEncoder {
  private readonly pcm48 = new Int16Array(OPUS_FRAME_SAMPLES);
  private closed = false;

  private constructor(
    private readonly resampler: FrameResampler,
    private readonly opus: OpusScript,
    /** Room rate, Hz. */
    readonly inputRate: number,
  ) {}

  /**
   * @param inputRate room rate, Hz (16 000–24 000)
   * @param bitrate Opus target, bits/s
   * @param complexity libopus complexity 0–10; undefined keeps libopus's default (10)
   * @throws RangeError for a bad rate; Error when opusscript refuses the bitrate or the complexity
   */
  static async create(inputRate: number, bitrate: number, complexity?: number): Promise<RoomOpusEncoder> {
    const resampler = await FrameResampler.create(inputRate, OPUS_RATE, OPUS_FRAME_SAMPLES);
    const opus = new OpusScript(OPUS_RATE, 1, OpusScript.Application.VOIP);
    try {
      opus.setBitrate(bitrate);
    } catch (err) {
      opus.delete();
      resampler.close();
      throw new Error(`opus: bitrate ${bitrate} bit/s refused: ${(err as Error).message}`);
    }
    if (complexity !== undefined) {
      try {
        opus.encoderCTL(OPUS_SET_COMPLEXITY, complexity);
      } catch (err) {
        opus.delete();
        resampler.close();
        throw new Error(`opus: complexity ${complexity} refused: ${(err as Error).message}`);
      }
    }
    return new RoomOpusEncoder(resampler, opus, inputRate);
  }

  /**
   * Resamples and encodes one frame.
   * @param samples s16 mono at `inputRate`, one 20 ms frame (e.g. 441 at 22 050 Hz)
   * @returns one Opus packet (a fresh Buffer, 20 ms, 960 samples at 48 kHz)
   * @throws Error after `close()`, or when opusscript fails
   */
  encode(samples: Int16Array): Buffer {
    if (this.closed) throw new Error('RoomOpusEncoder.encode called after close()');
    const f32 = this.resampler.process(samples);
    for (let i = 0; i < OPUS_FRAME_SAMPLES; i++) {
      const v = Math.round(f32[i]! * 32767);
      this.pcm48[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    const pcm = Buffer.from(this.pcm48.buffer, this.pcm48.byteOffset, this.pcm48.byteLength);
    // opusscript copies the packet out of its WASM heap (a fresh Buffer).
    return this.opus.encode(pcm, OPUS_FRAME_SAMPLES);
  }

  /** Frees the WASM encoder and resampler; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.opus.delete();
    this.resampler.close();
  }
}
