/**
 * The bridge's binary audio frame (game-bridge/PROTOCOL.md, "Audio"): a 16-byte little-endian
 * header, then the payload, PCM s16le mono (absent for a silence frame).
 *
 * ```
 * 0 u8 version (1) · 1 u8 flags (bit 0: silence) · 2 u16 samples · 4 u32 seq · 8 u32 generation · 12 u32 rate Hz · 16 payload
 * ```
 */

/** Protocol version of the header and of `join`/`attach` (`v`). */
export const BRIDGE_VERSION = 1;
/** Header length, bytes. */
export const BRIDGE_HEADER_BYTES = 16;
/** Flags bit 0: the frame is silence and carries no payload. */
export const FLAG_SILENCE = 0x01;

/** One decoded audio frame. */
export interface BridgeFrame {
  readonly version: number;
  readonly silence: boolean;
  /** Samples in the frame (rate × 20 / 1000). */
  readonly samples: number;
  /** The room's frame index (u32, wraps after ~2.7 years of 20 ms frames). */
  readonly seq: number;
  /** The room's narration generation, +1 per cancel. */
  readonly generation: number;
  /** Hz. */
  readonly rate: number;
  /** PCM s16 mono, `samples` long (zeros for a silence frame). */
  readonly pcm: Int16Array;
}

/**
 * Encodes one frame.
 * @param pcm s16 mono samples of the frame, or null for silence (`samples` zeros, no payload sent)
 * @param samples samples in the frame (pcm.length when pcm is given)
 * @returns header + payload bytes (a fresh buffer)
 */
export function encodeBridgeFrame(seq: number, generation: number, rate: number, samples: number, pcm: Int16Array | null): Uint8Array {
  const bytes = new Uint8Array(BRIDGE_HEADER_BYTES + (pcm ? pcm.length * 2 : 0));
  const view = new DataView(bytes.buffer);
  view.setUint8(0, BRIDGE_VERSION);
  view.setUint8(1, pcm ? 0 : FLAG_SILENCE);
  view.setUint16(2, samples, true);
  view.setUint32(4, seq >>> 0, true);
  view.setUint32(8, generation >>> 0, true);
  view.setUint32(12, rate, true);
  if (pcm) {
    for (let i = 0; i < pcm.length; i++) view.setInt16(BRIDGE_HEADER_BYTES + i * 2, pcm[i]!, true);
  }
  return bytes;
}

/**
 * Decodes one frame (Node clients, tests, bench).
 * @throws Error naming what is wrong: shorter than the header, unknown version, payload length ≠ 2 × samples
 */
export function decodeBridgeFrame(data: Uint8Array): BridgeFrame {
  if (data.byteLength < BRIDGE_HEADER_BYTES) throw new Error(`bridge frame: ${data.byteLength} bytes, shorter than the ${BRIDGE_HEADER_BYTES}-byte header`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = view.getUint8(0);
  if (version !== BRIDGE_VERSION) throw new Error(`bridge frame: version ${version}, expected ${BRIDGE_VERSION}`);
  const silence = (view.getUint8(1) & FLAG_SILENCE) !== 0;
  const samples = view.getUint16(2, true);
  const payload = data.byteLength - BRIDGE_HEADER_BYTES;
  if (payload !== (silence ? 0 : samples * 2)) throw new Error(`bridge frame: payload of ${payload} bytes for ${samples} samples${silence ? ' of silence' : ''}`);
  const pcm = new Int16Array(samples);
  if (!silence) for (let i = 0; i < samples; i++) pcm[i] = view.getInt16(BRIDGE_HEADER_BYTES + i * 2, true);
  return { version, silence, samples, seq: view.getUint32(4, true), generation: view.getUint32(8, true), rate: view.getUint32(12, true), pcm };
}
