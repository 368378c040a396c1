import OpusScript from 'opusscript';
import { StreamingResampler } from '../../server/audio/resample.ts';

/** Opus RTP clock and the rate frames are resampled to, Hz (RFC 7587 §4.1: always 48 000). */
export const OPUS_RATE = 48_000;
/** Samples per 20 ms frame at {@link OPUS_RATE}: the RTP timestamp step per packet. */
export const OPUS_FRAME_SAMPLES = 960;

/**
 * One room's Opus stream: each 20 ms frame (s16 mono at the room rate) is resampled to 48 kHz
 * with libsamplerate and encoded once, mono, VOIP application (speech), so every peer of the room
 * gets the same payload. Silence is encoded too (Opus DTX is off: a packet per frame keeps the
 * RTP timestamps continuous, see PROTOCOL.md).
 *
 * The resampler's filter delay makes its first outputs short; the missing samples are padded with
 * zeros at the start, once, so each call still yields exactly {@link OPUS_FRAME_SAMPLES} samples.
 */
export class RoomOpusEncoder {
  private readonly pending = new Float32Array(OPUS_FRAME_SAMPLES * 4);
  private pendingLen = 0;
  private readonly pcm48 = new Int16Array(OPUS_FRAME_SAMPLES);
  private readonly f32: Float32Array;
  private closed = false;

  private constructor(
    private readonly resampler: StreamingResampler,
    private readonly opus: OpusScript,
    /** Room rate, Hz. */
    readonly inputRate: number,
  ) {
    this.f32 = new Float32Array(Math.ceil(inputRate / 50));
  }

  /**
   * @param inputRate room rate, Hz (16 000–24 000)
   * @param bitrate Opus target, bits/s
   * @throws RangeError for a bad rate; Error when opusscript refuses the bitrate
   */
  static async create(inputRate: number, bitrate: number): Promise<RoomOpusEncoder> {
    const resampler = await StreamingResampler.create(inputRate, OPUS_RATE);
    const opus = new OpusScript(OPUS_RATE, 1, OpusScript.Application.VOIP);
    try {
      opus.setBitrate(bitrate);
    } catch (err) {
      opus.delete();
      resampler.close();
      throw new Error(`opus: bitrate ${bitrate} bit/s refused: ${(err as Error).message}`);
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
    const f32 = samples.length === this.f32.length ? this.f32 : new Float32Array(samples.length);
    for (let i = 0; i < samples.length; i++) f32[i] = samples[i]! / 32768;
    const out = this.resampler.process(f32);
    const deficit = Math.max(0, OPUS_FRAME_SAMPLES - (this.pendingLen + out.length));
    // Zeros first (only while the filter primes), then the resampled audio; drop what would overflow.
    if (deficit > 0) {
      this.pending.copyWithin(deficit, 0, this.pendingLen);
      this.pending.fill(0, 0, deficit);
      this.pendingLen += deficit;
    }
    const room = this.pending.length - this.pendingLen;
    this.pending.set(out.length <= room ? out : out.subarray(0, room), this.pendingLen);
    this.pendingLen += Math.min(out.length, room);
    for (let i = 0; i < OPUS_FRAME_SAMPLES; i++) {
      const v = Math.round(this.pending[i]! * 32767);
      this.pcm48[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    this.pending.copyWithin(0, OPUS_FRAME_SAMPLES, this.pendingLen);
    this.pendingLen -= OPUS_FRAME_SAMPLES;
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
