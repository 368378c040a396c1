import { createWriteStream, write as writeAt, type WriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { endianness } from 'node:os';
import { dirname } from 'node:path';
import { inject, injectable } from 'inversify';
import type { Logger } from 'pino';
import * as wavefileNs from 'wavefile';
import { TOKENS } from '../tokens.ts';
import type { AudioFrame, AudioSink, AudioSinkFactory, SinkContext } from './audio-sink.ts';

// A UMD bundle: native ESM import sees only `default`, tsx's CommonJS path (mocha) sees the named export.
const { WaveFile } = ('WaveFile' in wavefileNs ? wavefileNs : (wavefileNs as unknown as { default: typeof wavefileNs }).default);

/** Frames gathered before one file write: 25 × 20 ms = 0.5 s, so 48 rooms cost ~100 writes/s, not 2 400. */
const FRAMES_PER_WRITE = 25;

/** Most audio a killed process loses from its recording: one pending batch plus the batch being written, ms. */
export const CRASH_LOSS_MS = 2 * FRAMES_PER_WRITE * 20;

/** Canonical PCM WAV header length, bytes (RIFF + fmt(16) + data headers), as wavefile writes it for 16-bit PCM. */
const HEADER_BYTES = 44;

/** Largest data size a RIFF header can state, bytes (uint32 sizes: ~27 h of 22 050 Hz s16 mono). */
const MAX_DATA_BYTES = 0xffffffff - (HEADER_BYTES - 8);

/**
 * Records a room: writes exactly the frames it receives (silence included), s16le
 * mono at the room rate, to a WAV file, streaming to disk (sessions last hours:
 * nothing is held in memory beyond half a second).
 *
 * The header comes from `wavefile` (fromScratch with no samples: a standard 44-byte
 * PCM header). wavefile builds whole files in memory, so for streaming we write that
 * header first with zero sizes and patch its two uint32 size fields (RIFF size at byte 4,
 * data size at byte 40 — the only fields that depend on length) after every write of
 * samples has reached the file, and again on close. So a process killed (SIGKILL, a crash,
 * a full disk) leaves a valid WAV holding all but the last ≤ 0.5 s write batch (plus the one
 * in flight): {@link CRASH_LOSS_MS}.
 */
export class WavRecorderSink implements AudioSink {
  readonly name = 'wav';
  private pending: Buffer[] = [];
  private pendingFrames = 0;
  private dataBytes = 0;
  /** Sample bytes the OS has confirmed written (what the header may claim). */
  private durableBytes = 0;
  /** A header patch is being written; `headerDirty` asks for one more after it. */
  private patching = false;
  private headerDirty = false;
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly path: string,
    private readonly sampleRate: number,
    private readonly stream: WriteStream,
    private readonly log: Logger,
    /** Header bytes 8–39 (WAVE, fmt chunk, "data"), as wavefile wrote them: rewritten unchanged with each size patch. */
    private readonly headerTail: Buffer,
  ) {
    stream.on('error', (err) => {
      this.failure ??= err;
      log.error({ err, path }, 'wav recording write failed');
    });
  }

  /**
   * Creates the file (and its folder) and writes the header.
   * @param path WAV file to create (overwritten if present)
   * @param sampleRate Hz of every frame that will be written
   * @throws Error naming the path when the file cannot be opened; Error on a big-endian host
   */
  static async open(path: string, sampleRate: number, log: Logger): Promise<WavRecorderSink> {
    if (endianness() !== 'LE') throw new Error('WavRecorderSink writes Int16Array memory as s16le and needs a little-endian host');
    await mkdir(dirname(path), { recursive: true });
    const stream = createWriteStream(path);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err) => reject(new Error(`cannot open WAV recording ${path}: ${err.message}`, { cause: err })));
    });
    const header = new WaveFile();
    header.fromScratch(1, sampleRate, '16', new Int16Array(0));
    const bytes = header.toBuffer();
    if (bytes.length !== HEADER_BYTES) throw new Error(`wavefile wrote a ${bytes.length}-byte header; expected ${HEADER_BYTES}`);
    stream.write(Buffer.from(bytes));
    return new WavRecorderSink(path, sampleRate, stream, log, Buffer.from(bytes.subarray(8, 40)));
  }

  /**
   * Queues the frame's samples for the file (copied; non-blocking).
   * @throws Error when the file failed earlier, the sink is closed, or the frame's rate differs from the file's
   */
  write(frame: AudioFrame): void {
    if (this.failure) throw new Error(`WAV recording ${this.path} failed: ${this.failure.message}`);
    if (this.closing) throw new Error(`WAV recording ${this.path} is closed`);
    if (frame.sampleRate !== this.sampleRate) {
      throw new Error(`frame at ${frame.sampleRate} Hz written to WAV recording at ${this.sampleRate} Hz`);
    }
    const s = frame.samples;
    this.pending.push(Buffer.from(s.buffer.slice(s.byteOffset, s.byteOffset + s.byteLength)));
    this.dataBytes += s.byteLength;
    if (++this.pendingFrames >= FRAMES_PER_WRITE) this.flush();
  }

  /** Bytes of sample data written so far. */
  get bytesWritten(): number {
    return this.dataBytes;
  }

  /** Flushes, closes the file and patches the header sizes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.finalize();
    return this.closing;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const upTo = this.dataBytes;
    this.stream.write(this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending), (err) => {
      if (err || this.closing) return;
      this.durableBytes = upTo;
      this.patchHeader();
    });
    this.pending = [];
    this.pendingFrames = 0;
  }

  /**
   * Writes the header sizes for the samples confirmed on disk, in place (a positional write on the
   * stream's own descriptor: the appends' file offset is not moved). One at a time; never throws.
   */
  private patchHeader(): void {
    if (this.patching) {
      this.headerDirty = true;
      return;
    }
    const fd = (this.stream as unknown as { fd: number | null }).fd;
    if (typeof fd !== 'number' || this.failure) return;
    this.patching = true;
    const data = Math.min(this.durableBytes, MAX_DATA_BYTES);
    const sizes = Buffer.alloc(40);
    sizes.writeUInt32LE(HEADER_BYTES - 8 + data, 0); // RIFF size, byte 4
    // Bytes 8–39 of the header, unchanged, then the data size at byte 40: one 40-byte write.
    this.headerTail.copy(sizes, 4);
    sizes.writeUInt32LE(data, 36);
    writeAt(fd, sizes, 0, 40, 4, (err) => {
      this.patching = false;
      if (err) this.log.warn({ err, path: this.path }, 'wav recording: updating the header failed; it is written again on close');
      else if (this.headerDirty && !this.closing) {
        this.headerDirty = false;
        this.patchHeader();
      }
    });
  }

  private async finalize(): Promise<void> {
    this.flush();
    // A periodic patch in flight must land before the descriptor closes (its number could be reused).
    while (this.patching) await new Promise((r) => setTimeout(r, 1));
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
    if (this.failure) throw new Error(`WAV recording ${this.path} failed: ${this.failure.message}`);
    let data = this.dataBytes;
    if (data > MAX_DATA_BYTES) {
      this.log.warn({ path: this.path, dataBytes: data }, 'wav recording exceeds the 4 GiB RIFF limit; header sizes clamped');
      data = MAX_DATA_BYTES;
    }
    const sizes = Buffer.alloc(4);
    const fh = await open(this.path, 'r+');
    try {
      sizes.writeUInt32LE(HEADER_BYTES - 8 + data, 0);
      await fh.write(sizes, 0, 4, 4);
      sizes.writeUInt32LE(data, 0);
      await fh.write(sizes, 0, 4, 40);
    } finally {
      await fh.close();
    }
  }
}

/**
 * The core `wav` sink (bound by the plugin host, not a plugin): one recording per room
 * at `SinkContext.wavPath`.
 */
@injectable()
export class WavRecorderSinkFactory implements AudioSinkFactory {
  readonly name = 'wav';

  constructor(@inject(TOKENS.Logger) private readonly log: Logger) {}

  /** @throws Error when `ctx.wavPath` is missing (set `OpenRoomOptions.wavPath`) or the file cannot be created */
  async create(ctx: SinkContext): Promise<AudioSink> {
    if (!ctx.wavPath) {
      throw new Error(`sink "wav" of room ${ctx.roomId} needs a recording path: set OpenRoomOptions.wavPath (SinkContext.wavPath)`);
    }
    const sink = await WavRecorderSink.open(ctx.wavPath, ctx.sampleRate, ctx.log ?? this.log);
    ctx.log?.debug({ path: ctx.wavPath }, 'wav recording opened');
    return sink;
  }
}
