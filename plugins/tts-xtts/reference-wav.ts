import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import * as wavefileNs from 'wavefile';

// wavefile ships a UMD bundle: under ESM its named exports sit on `default`.
const { WaveFile } = ('WaveFile' in wavefileNs ? wavefileNs : (wavefileNs as unknown as { default: typeof wavefileNs }).default) as typeof wavefileNs;

/**
 * Accepted reference length, seconds. XTTS needs a few seconds to clone a voice (Coqui: "a 6 s clip
 * is enough"; shorter ones clone poorly) and reads at most 30 s of each reference (`max_ref_length`
 * of `get_conditioning_latents`, TTS/tts/models/xtts.py).
 */
export const REFERENCE_MIN_SECONDS = 3;
/** See {@link REFERENCE_MIN_SECONDS}. */
export const REFERENCE_MAX_SECONDS = 30;

/** A validated reference recording. */
export interface ReferenceWav {
  readonly path: string;
  /** Hz */
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  /** 1 = integer PCM, 3 = IEEE float */
  readonly audioFormat: number;
  readonly durationSeconds: number;
}

interface FmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
}

/**
 * Checks a reference WAV for cloning: a RIFF/WAVE file with integer or float PCM and 3–30 s of audio.
 * @param bytes the file's contents
 * @throws Error naming the file and what is wrong (not a WAV, compressed, too short, too long, no audio)
 */
export function validateReferenceWav(path: string, bytes: Uint8Array): ReferenceWav {
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (err) {
    throw new Error(`reference ${path} is not a readable WAV file: ${(err as Error).message}`);
  }
  const fmt = wav.fmt as FmtChunk;
  const tag = fmt.audioFormat === 0xfffe ? 1 : fmt.audioFormat;
  if (tag !== 1 && tag !== 3) throw new Error(`reference ${path} is not PCM (WAV format tag ${fmt.audioFormat}); convert it to 16-bit PCM WAV`);
  const frameBytes = fmt.numChannels * (fmt.bitsPerSample / 8);
  const dataBytes = (wav.data as { chunkSize: number }).chunkSize;
  if (!(frameBytes > 0) || !(fmt.sampleRate > 0)) throw new Error(`reference ${path} declares ${fmt.numChannels} channel(s) of ${fmt.bitsPerSample} bit at ${fmt.sampleRate} Hz`);
  const durationSeconds = dataBytes / frameBytes / fmt.sampleRate;
  if (durationSeconds < REFERENCE_MIN_SECONDS) {
    throw new Error(`reference ${path} is ${durationSeconds.toFixed(2)} s long; XTTS needs ${REFERENCE_MIN_SECONDS}–${REFERENCE_MAX_SECONDS} s of clean speech`);
  }
  if (durationSeconds > REFERENCE_MAX_SECONDS) {
    throw new Error(`reference ${path} is ${durationSeconds.toFixed(2)} s long; at most ${REFERENCE_MAX_SECONDS} s (XTTS reads no more), trim it`);
  }
  return { path, sampleRate: fmt.sampleRate, channels: fmt.numChannels, bitsPerSample: fmt.bitsPerSample, audioFormat: tag, durationSeconds };
}

/** What is uploaded to `/clone_speaker` for a voice. */
export interface ReferenceUpload {
  /** WAV bytes: the single file as it is, or several concatenated into one. */
  readonly wav: Uint8Array;
  /** File name sent in the multipart part. */
  readonly fileName: string;
  /** sha256 hex of the references' contents, in order (the latents cache key). */
  readonly contentHash: string;
  readonly references: readonly ReferenceWav[];
}

/**
 * Reads and validates a voice's reference WAV(s). `/clone_speaker` takes one file, so several
 * references are joined into one WAV (they must share rate, channels and sample format), as XTTS
 * conditions on all of a speaker's references together.
 * @throws Error naming the file: unreadable, invalid (see {@link validateReferenceWav}), or a format unlike the first's
 */
export async function readReferences(paths: readonly string[]): Promise<ReferenceUpload> {
  const hash = createHash('sha256');
  const files: { bytes: Uint8Array; ref: ReferenceWav }[] = [];
  for (const path of paths) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (err) {
      throw new Error(`reference ${path} cannot be read: ${(err as Error).message}`);
    }
    const ref = validateReferenceWav(path, bytes);
    const first = files[0]?.ref;
    if (first && (first.sampleRate !== ref.sampleRate || first.channels !== ref.channels || first.bitsPerSample !== ref.bitsPerSample || first.audioFormat !== ref.audioFormat)) {
      throw new Error(`reference ${path} is ${describeFormat(ref)} but ${first.path} is ${describeFormat(first)}; give a voice's references one format`);
    }
    hash.update(`${bytes.length}:`).update(bytes);
    files.push({ bytes, ref });
  }
  const references = files.map((f) => f.ref);
  const contentHash = hash.digest('hex');
  if (files.length === 1) return { wav: files[0].bytes, fileName: basename(paths[0]), contentHash, references };
  return { wav: joinWavs(files.map((f) => f.bytes), references[0]), fileName: 'references.wav', contentHash, references };
}

function joinWavs(files: readonly Uint8Array[], format: ReferenceWav): Uint8Array {
  const parts = files.map((bytes) => {
    const wav = new WaveFile();
    wav.fromBuffer(bytes);
    return wav.getSamples(true, Float64Array) as unknown as Float64Array;
  });
  const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const out = new WaveFile();
  const depth = format.audioFormat === 3 ? `${format.bitsPerSample}f` : String(format.bitsPerSample);
  out.fromScratch(format.channels, format.sampleRate, depth, all);
  return out.toBuffer();
}

function describeFormat(r: ReferenceWav): string {
  return `${r.channels} ch ${r.bitsPerSample} bit${r.audioFormat === 3 ? ' float' : ''} at ${r.sampleRate} Hz`;
}
