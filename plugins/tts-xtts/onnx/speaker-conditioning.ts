import { readFile } from 'node:fs/promises';
import { ort, type InferenceSession, type Tensor } from '../../../server/models/ort.ts';
import * as wavefileNs from 'wavefile';
import { resampleOnce } from '../../../server/audio/resample.ts';
import { concatF32 } from '../../../server/audio/pcm.ts';
import type { SpeakerLatents } from '../speaker-latents.ts';
import { COND_LATENT_ROWS, type SpeakerConditioning } from './xtts-inference.ts';
import { conditioningLogMel, speakerLogMel } from './mel-features.ts';
import type { XttsOnnxModel } from './xtts-onnx-model.ts';

// wavefile ships a UMD bundle: under ESM its named exports sit on `default`.
const { WaveFile } = ('WaveFile' in wavefileNs ? wavefileNs : (wavefileNs as unknown as { default: typeof wavefileNs }).default) as typeof wavefileNs;

/** Rate of the GPT conditioning features (XTTS `load_sr`), Hz. */
export const CONDITIONING_RATE = 22_050;
/** Rate of the speaker encoder's input, Hz. */
export const SPEAKER_ENCODER_RATE = 16_000;
/** Seconds of reference audio read (`max_ref_length` and v2 `gpt_cond_len`, 30). */
export const MAX_REFERENCE_SECONDS = 30;
/** Seconds per conditioning piece (v2 `gpt_cond_chunk_len`, 4). */
export const CONDITIONING_PIECE_SECONDS = 4;
/** Pieces shorter than this are skipped (`get_gpt_cond_latents`: `< 22050 * 0.33`), seconds. */
export const MIN_PIECE_SECONDS = 0.33;

/**
 * Reads a WAV file as mono f32 in [-1, 1] (channels averaged, as torchaudio's `load_audio` + mean).
 * @returns samples and their rate, Hz
 * @throws Error naming the file when it cannot be read or decoded
 */
export async function readMonoWav(path: string): Promise<{ samples: Float32Array; sampleRate: number }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new Error(`reference ${path} cannot be read: ${(err as Error).message}`);
  }
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (err) {
    throw new Error(`reference ${path} is not a readable WAV file: ${(err as Error).message}`);
  }
  const fmt = wav.fmt as { numChannels: number; sampleRate: number; bitsPerSample: number; audioFormat: number };
  const isFloat = fmt.audioFormat === 3;
  // getSamples(false) interleaves; integers are scaled to [-1, 1) by the full-scale value.
  const raw = wav.getSamples(true, Float64Array) as unknown as Float64Array;
  const scale = isFloat ? 1 : 2 ** (fmt.bitsPerSample - 1);
  const channels = fmt.numChannels;
  const frames = Math.floor(raw.length / channels);
  const samples = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += raw[i * channels + c];
    samples[i] = sum / channels / scale;
  }
  return { samples, sampleRate: fmt.sampleRate };
}

/**
 * `Xtts.get_conditioning_latents` (TTS/tts/models/xtts.py) on the ONNX encoders: GPT conditioning latents
 * from 4 s pieces of the references joined at 22 050 Hz (first 30 s), averaged; the speaker embedding per
 * reference at 16 000 Hz, averaged. Steps and sources: ./README.md step 7.
 * @param references mono f32 in [-1, 1] with their rates, Hz (any rate; resampled with libsamplerate)
 * @returns latents in the `/clone_speaker` JSON shape ([32][D] and [512])
 * @throws Error when no reference gives a piece of at least 0.33 s, or onnxruntime fails
 */
export async function computeSpeakerLatents(model: XttsOnnxModel, references: readonly { samples: Float32Array; sampleRate: number }[]): Promise<SpeakerLatents> {
  if (references.length === 0) throw new Error('no reference audio to clone a voice from');
  const maxSamples = MAX_REFERENCE_SECONDS * CONDITIONING_RATE;
  const at22k: Float32Array[] = [];
  const speakerSum = new Float64Array(512);
  for (const ref of references) {
    const wav = (await resampleOnce(ref.samples, ref.sampleRate, CONDITIONING_RATE)).subarray(0, maxSamples);
    at22k.push(wav);
    const at16k = await resampleOnce(wav, CONDITIONING_RATE, SPEAKER_ENCODER_RATE);
    const embedding = await runSpeakerEncoder(model, at16k);
    for (let i = 0; i < 512; i++) speakerSum[i] += embedding[i];
  }
  const joined = concatF32(at22k).subarray(0, maxSamples);
  const width = model.width;
  const condSum = new Float64Array(COND_LATENT_ROWS * width);
  const pieceLength = CONDITIONING_PIECE_SECONDS * CONDITIONING_RATE;
  let pieces = 0;
  for (let start = 0; start < joined.length; start += pieceLength) {
    const piece = joined.subarray(start, start + pieceLength);
    if (piece.length < CONDITIONING_RATE * MIN_PIECE_SECONDS) continue;
    const latents = await runConditioningEncoder(model, piece);
    for (let i = 0; i < condSum.length; i++) condSum[i] += latents[i];
    pieces++;
  }
  if (pieces === 0) throw new Error(`reference audio is shorter than ${MIN_PIECE_SECONDS} s`);
  const rows: number[][] = [];
  for (let r = 0; r < COND_LATENT_ROWS; r++) rows.push(Array.from(condSum.subarray(r * width, (r + 1) * width), (v) => v / pieces));
  return { gpt_cond_latent: rows, speaker_embedding: Array.from(speakerSum, (v) => v / references.length) };
}

/** The conditioning encoder on one piece: [32][D] row-major. */
async function runConditioningEncoder(model: XttsOnnxModel, piece22k: Float32Array): Promise<Float32Array> {
  const mel = conditioningLogMel(piece22k, model.melStats);
  const s = model.conditioningEncoder;
  const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', mel.data, [1, mel.bands, mel.frames]) });
  const data = out[s.outputNames[0]].data as Float32Array;
  if (data.length !== COND_LATENT_ROWS * model.width) throw new Error(`conditioning encoder gave ${data.length} values; expected ${COND_LATENT_ROWS} × ${model.width}`);
  return data;
}

/** The speaker encoder on one reference at 16 kHz: 512 values. */
async function runSpeakerEncoder(model: XttsOnnxModel, wav16k: Float32Array): Promise<Float32Array> {
  const mel = speakerLogMel(wav16k);
  const s = model.speakerEncoder;
  const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', mel.data, [1, mel.bands, mel.frames]) });
  const data = out[s.outputNames[0]].data as Float32Array;
  if (data.length !== 512) throw new Error(`speaker encoder gave ${data.length} values; expected 512`);
  return data;
}

/** The `/clone_speaker` JSON shape as typed arrays for inference. */
export function toConditioning(latents: SpeakerLatents): SpeakerConditioning {
  const rows = latents.gpt_cond_latent;
  const width = rows[0]?.length ?? 0;
  const condLatents = new Float32Array(rows.length * width);
  rows.forEach((row, i) => condLatents.set(row, i * width));
  return { condLatents, speakerEmbedding: Float32Array.from(latents.speaker_embedding) };
}

