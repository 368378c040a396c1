/** Largest WAV header accepted before the `data` chunk, bytes (a 44-byte header plus LIST/fact chunks). */
const MAX_HEADER_BYTES = 16 * 1024;

/** What the decoder expects the audio to be. */
export interface PcmFormat {
  /** Hz */
  readonly sampleRate: number;
}

/**
 * Turns a byte stream of 16-bit little-endian mono PCM into f32 blocks in [-1, 1] (`s16 / 32768`),
 * as the bytes arrive. A sample split across two network chunks is carried over (one odd byte).
 *
 * If the stream starts with `RIFF`, the WAV header is parsed and stripped exactly: RIFF/WAVE and
 * the chunks up to `data` (44 bytes for the header xtts-streaming-server sends, which declares a
 * zero length). A header declaring a format other than mono 16-bit integer PCM at the expected rate
 * is an error. A non-zero `data` length (a complete WAV file) is honoured: bytes after it are dropped;
 * 0 and 0xFFFFFFFF mean "until the stream ends".
 */
export class PcmStreamDecoder {
  private mode: 'sniff' | 'header' | 'pcm' = 'sniff';
  private head: Uint8Array = new Uint8Array(0);
  private oddByte: number | undefined;
  /** PCM bytes still allowed by the header's data length; Infinity when open-ended. */
  private remaining = Infinity;
  private samples = 0;
  private headerBytes = 0;

  constructor(private readonly format: PcmFormat) {}

  /** Samples decoded so far. */
  get sampleCount(): number {
    return this.samples;
  }

  /** Bytes of WAV header stripped (0 for raw PCM). */
  get strippedHeaderBytes(): number {
    return this.headerBytes;
  }

  /**
   * Decodes the next bytes of the stream.
   * @returns the samples they complete, possibly none
   * @throws Error for a WAV header that is malformed, too large or not mono s16 PCM at the expected rate
   */
  push(bytes: Uint8Array): Float32Array {
    if (this.mode !== 'pcm') {
      this.head = concat(this.head, bytes);
      const body = this.mode === 'sniff' ? this.sniff() : this.parseHeader();
      if (body === undefined) return new Float32Array(0);
      bytes = body;
    }
    return this.decode(bytes);
  }

  /**
   * Ends the stream.
   * @returns samples of a stream too short to tell from a WAV header (under 4 bytes), else none
   * @throws Error when it ended inside the WAV header or with half a sample
   */
  end(): Float32Array {
    if (this.mode === 'header') throw new Error(`audio stream ended inside its WAV header after ${this.head.length} bytes`);
    const last = this.mode === 'sniff' ? this.decode(this.decodeHead()) : new Float32Array(0);
    if (this.oddByte !== undefined) throw new Error('audio stream ended with half a 16-bit sample (odd byte count)');
    return last;
  }

  private sniff(): Uint8Array | undefined {
    if (this.head.length < 4) return undefined;
    if (ascii(this.head, 0, 4) === 'RIFF') {
      this.mode = 'header';
      return this.parseHeader();
    }
    return this.decodeHead();
  }

  private decodeHead(): Uint8Array {
    const body = this.head;
    this.head = new Uint8Array(0);
    this.mode = 'pcm';
    return body;
  }

  /** Walks RIFF chunks until `data`; returns the bytes after the header once it is complete. */
  private parseHeader(): Uint8Array | undefined {
    const h = this.head;
    if (h.length < 12) return undefined;
    if (ascii(h, 8, 4) !== 'WAVE') throw new Error(`audio stream starts with RIFF but is not WAVE ("${ascii(h, 8, 4)}")`);
    const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
    let at = 12;
    let sawFmt = false;
    while (at + 8 <= h.length) {
      const id = ascii(h, at, 4);
      const size = view.getUint32(at + 4, true);
      if (id === 'data') {
        if (!sawFmt) throw new Error('WAV header has a data chunk before its fmt chunk');
        const start = at + 8;
        this.headerBytes = start;
        this.remaining = size === 0 || size === 0xffffffff ? Infinity : size;
        this.mode = 'pcm';
        this.head = new Uint8Array(0);
        return h.subarray(start);
      }
      const next = at + 8 + size + (size & 1);
      if (next > MAX_HEADER_BYTES) throw new Error(`WAV header larger than ${MAX_HEADER_BYTES} bytes (chunk "${id}" of ${size} bytes)`);
      if (next > h.length) return undefined;
      if (id === 'fmt ') {
        this.checkFmt(view, at + 8, size);
        sawFmt = true;
      }
      at = next;
    }
    return undefined;
  }

  private checkFmt(view: DataView, at: number, size: number): void {
    if (size < 16) throw new Error(`WAV fmt chunk too short (${size} bytes)`);
    const tag = view.getUint16(at, true);
    const channels = view.getUint16(at + 2, true);
    const rate = view.getUint32(at + 4, true);
    const bits = view.getUint16(at + 14, true);
    if ((tag !== 1 && tag !== 0xfffe) || channels !== 1 || bits !== 16 || rate !== this.format.sampleRate) {
      throw new Error(
        `WAV header declares format tag ${tag}, ${channels} channel(s), ${bits} bit, ${rate} Hz; expected 16-bit PCM mono at ${this.format.sampleRate} Hz`,
      );
    }
  }

  private decode(bytes: Uint8Array): Float32Array {
    if (this.remaining !== Infinity) {
      bytes = bytes.subarray(0, Math.min(bytes.length, this.remaining));
      this.remaining -= bytes.length;
    }
    const carried = this.oddByte === undefined ? 0 : 1;
    const total = carried + bytes.length;
    const out = new Float32Array(total >> 1);
    let i = 0;
    let o = 0;
    if (carried && out.length > 0) {
      out[o++] = toF32(this.oddByte! | (bytes[0] << 8));
      i = 1;
      this.oddByte = undefined;
    }
    for (; i + 1 < bytes.length; i += 2) out[o++] = toF32(bytes[i] | (bytes[i + 1] << 8));
    if (i < bytes.length) this.oddByte = bytes[i];
    this.samples += out.length;
    return out;
  }
}

function toF32(u16: number): number {
  return ((u16 << 16) >> 16) / 32768;
}

function ascii(b: Uint8Array, at: number, len: number): string {
  return String.fromCharCode(...b.subarray(at, at + len));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
