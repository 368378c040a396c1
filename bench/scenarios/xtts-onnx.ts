/**
 * XTTS-v2 in process (backend `onnx`) on this machine's CPU: decode-step time, prefill, vocoder runs, TTFA of
 * the first 20-token chunk and RTF, on a model with the release model's dimensions (GPT 30 layers × 1024
 * wide, 16 heads; HiFi-GAN at its real widths) and RANDOM weights — the real weights cannot be fetched here
 * and are non-commercial. Timing depends on shapes, not weight values, so the figures stand for the real
 * model's compute; the audio is noise. Random weights never pick the stop token, so each run is capped at
 * `tokens` audio tokens (Coqui's own cap is 602).
 *
 * The model folder comes from `VRPG_BENCH_XTTS_DIR`, else `.cache/xtts-real/`, generated on first use by
 * tools/xtts-fixtures/generate.py (needs Debian's python3-torch and python3-onnx; ~1.5 GB on disk).
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { XttsOnnxModel } from '../../plugins/tts-xtts/onnx/xtts-onnx-model.ts';
import { COND_LATENT_ROWS, xttsInferenceStream, type XttsStage } from '../../plugins/tts-xtts/onnx/xtts-inference.ts';
import { summarize, type Summary } from '../percentile.ts';
import { seededRandom } from '../util.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Where the real-dimension fixture is generated when no folder is given. */
export const DEFAULT_REAL_DIR = `${REPO}.cache/xtts-real`;
/** The committed tiny fixture (quick runs: a smoke test of the path, not a speed figure). */
export const TINY_DIR = `${REPO}test/fixtures/xtts-onnx/tiny`;
const PYTHON = '/usr/bin/python3';
const SAMPLE_RATE = 24_000;

/** What the scenario measured, or why it did not run. */
export interface XttsOnnxBenchResult {
  readonly skipped?: string;
  readonly modelDir?: string;
  readonly fixture?: 'real-dimensions' | 'tiny';
  readonly shape?: { layers: number; heads: number; headWidth: number; width: number };
  readonly loadMs?: number;
  readonly runs?: number;
  readonly tokensPerRun?: number;
  readonly prefillMs?: Summary;
  readonly decodeStepMs?: Summary;
  readonly vocoderMs?: Summary;
  /** From the call to the first audio block (tokenize, prefill, 20 decode steps, one vocoder run), ms. */
  readonly ttfaMs?: Summary;
  /** Synthesis time / audio duration per run. */
  readonly rtf?: Summary;
  readonly audioSecondsPerRun?: number;
}

/** Finds or generates the model folder; undefined + reason when neither is possible. */
export function realFixtureDir(progress: (msg: string) => void): { dir?: string; reason?: string } {
  const dir = process.env.VRPG_BENCH_XTTS_DIR ?? DEFAULT_REAL_DIR;
  if (existsSync(`${dir}/gpt_model.onnx`)) return { dir };
  if (process.env.VRPG_BENCH_XTTS_DIR) return { reason: `VRPG_BENCH_XTTS_DIR=${dir} holds no gpt_model.onnx` };
  try {
    execFileSync(PYTHON, ['-c', 'import torch, onnx'], { stdio: 'ignore' });
  } catch {
    return { reason: `no real-dimension fixture at ${dir} and ${PYTHON} lacks torch/onnx (apt-get install python3-torch python3-onnx python3-torchaudio)` };
  }
  progress(`generating the real-dimension XTTS fixture into ${dir} (once; a few minutes)`);
  execFileSync(PYTHON, [`${REPO}tools/xtts-fixtures/generate.py`, '--preset', 'real', '--out', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { dir };
}

/**
 * Runs `runs` chunks of one sentence, greedy, `tokens` audio tokens each, after one warm-up run.
 * @param intraOpNumThreads onnxruntime CPU threads (default: all cores but one, as the GPU tier sets for CPU)
 */
export async function measureXttsOnnx(dir: string, opts: { runs: number; tokens: number; fixture: 'real-dimensions' | 'tiny'; intraOpNumThreads?: number }): Promise<XttsOnnxBenchResult> {
  const t0 = performance.now();
  const model = await XttsOnnxModel.load(dir, { intraOpNumThreads: opts.intraOpNumThreads, interOpNumThreads: 1 });
  const loadMs = performance.now() - t0;
  try {
    const random = seededRandom(11);
    const voice = {
      condLatents: Float32Array.from({ length: COND_LATENT_ROWS * model.width }, () => (random() - 0.5) * 0.2),
      speakerEmbedding: Float32Array.from({ length: 512 }, () => (random() - 0.5) * 0.1),
    };
    const text = 'The door creaks open, and a cold wind carries the smell of old smoke into the hall.';
    const stages: Record<XttsStage, number[]> = { prefill: [], decode: [], vocoder: [] };
    const ttfa: number[] = [];
    const rtf: number[] = [];
    let audioSeconds = 0;
    for (let run = 0; run <= opts.runs; run++) {
      const record = run > 0;
      const start = performance.now();
      const ids = model.tokenizer.encode(text, 'en');
      let first: number | undefined;
      let samples = 0;
      const settings = { streamChunkSize: 20, speed: 1, decoding: 'greedy' as const, maxNewTokens: opts.tokens };
      for await (const block of xttsInferenceStream(model, ids, voice, settings, new AbortController().signal, (stage, ms) => record && stages[stage].push(ms))) {
        first ??= performance.now() - start;
        samples += block.length;
      }
      const total = performance.now() - start;
      if (!record) continue;
      audioSeconds = samples / SAMPLE_RATE;
      ttfa.push(first ?? total);
      rtf.push(total / 1000 / audioSeconds);
    }
    return {
      modelDir: dir, fixture: opts.fixture, shape: model.gpt.shape, loadMs, runs: opts.runs, tokensPerRun: opts.tokens,
      prefillMs: summarize(stages.prefill), decodeStepMs: summarize(stages.decode), vocoderMs: summarize(stages.vocoder),
      ttfaMs: summarize(ttfa), rtf: summarize(rtf), audioSecondsPerRun: audioSeconds,
    };
  } finally {
    await model.release();
  }
}
