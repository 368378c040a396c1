/**
 * Loudness measurement for tests and the bench, by two independent, maintained meters —
 * never by our own {@link ../../server/audio/loudness-meter.ts LoudnessMeter}, which is what
 * they check.
 *
 * - {@link ffmpegLoudness}: FFmpeg's `ebur128` filter (libavfilter/f_ebur128.c): K-weighting
 *   derived for the input rate, 400 ms / 100 ms gating with a 0.01 LU histogram, true peak by
 *   libswresample to 192 kHz. Its Summary prints one decimal.
 * - {@link libraryLoudness}: the `ebur128-wasm` package (the Rust `ebur128` crate, a port of
 *   libebur128, compiled to WebAssembly): integrated loudness and true peak (4× oversampling
 *   below 96 kHz, as libebur128), full double precision.
 *
 * Both accept 16–24 kHz directly; nothing is resampled here.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as wavefileNs from 'wavefile';

// wavefile ships a UMD bundle: under ESM its named exports sit on `default`.
const { WaveFile } = ('WaveFile' in wavefileNs ? wavefileNs : (wavefileNs as unknown as { default: typeof wavefileNs }).default) as typeof wavefileNs;

/** What a meter reports for one programme. */
export interface LoudnessFigures {
  /** Integrated loudness, LUFS (BS.1770-4 gated). ffmpeg prints −70.0 when no block passes the gates; the library gives −Infinity. */
  integratedLufs: number;
  /** Maximum true peak, dBTP (−Infinity for digital silence). */
  truePeakDbtp: number;
}

/** Audio to measure: a WAV file path, or mono f32 samples with their rate in Hz. */
type LoudnessInput = string | { samples: Float32Array; sampleRate: number };

let ffmpegPresent: boolean | undefined;

/** Whether an `ffmpeg` executable answers `ffmpeg -version` on PATH (checked once per process). */
export function hasFfmpeg(): boolean {
  if (ffmpegPresent === undefined) {
    const r = spawnSync('ffmpeg', ['-hide_banner', '-version'], { stdio: 'ignore', timeout: 30_000 });
    ffmpegPresent = r.status === 0;
  }
  return ffmpegPresent;
}

/**
 * Integrated loudness and true peak by FFmpeg:
 * `ffmpeg -nostats -hide_banner -i <wav> -af ebur128=peak=true -f null -`, parsing the Summary's
 * `I: … LUFS` and `Peak: … dBFS` (FFmpeg labels the true peak dBFS; it is dBTP). Raw samples are
 * written to a temporary 32-bit float WAV (lossless for f32, keeps values beyond ±1) that is
 * deleted afterwards.
 * @param input WAV path, or mono f32 samples and their rate (Hz)
 * @returns the two figures, each to FFmpeg's printed precision of 0.1
 * @throws Error quoting FFmpeg's stderr (last 25 lines) when it fails or prints no Summary, or
 *   saying that ffmpeg is not on PATH
 */
export async function ffmpegLoudness(input: LoudnessInput): Promise<LoudnessFigures> {
  return withWavPath(input, async (path) => {
    const stderr = await new Promise<string>((resolve, reject) => {
      execFile(
        'ffmpeg',
        ['-nostats', '-hide_banner', '-i', path, '-af', 'ebur128=peak=true', '-f', 'null', '-'],
        { maxBuffer: 64 * 1024 * 1024 },
        (err, _stdout, errText) => {
          if (!err) resolve(errText);
          else if ((err as NodeJS.ErrnoException).code === 'ENOENT') reject(new Error('ffmpeg is not installed or not on PATH (Debian/Ubuntu: apt install ffmpeg)', { cause: err }));
          else reject(new Error(`ffmpeg ebur128 failed on ${path} (exit ${String(err.code)}):\n${tail(errText)}`, { cause: err }));
        },
      );
    });
    const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
    const integrated = /\bI:\s+(-?(?:\d+(?:\.\d+)?|inf))\s+LUFS/.exec(summary);
    const peak = /\bPeak:\s+(-?(?:\d+(?:\.\d+)?|inf))\s+dBFS/.exec(summary);
    if (!stderr.includes('Summary:') || !integrated || !peak) {
      throw new Error(`ffmpeg printed no ebur128 Summary with I and Peak for ${path}:\n${tail(stderr)}`);
    }
    return { integratedLufs: parseFigure(integrated[1]!), truePeakDbtp: parseFigure(peak[1]!) };
  });
}

/** The two `ebur128-wasm` entry points we use (names as the package exports them). */
interface Ebur128Wasm {
  ebur128_integrated_mono(sampleRate: number, samples: Float32Array): number;
  ebur128_true_peak_mono(sampleRate: number, samples: Float32Array): number;
}

/** The part of the WebAssembly JS API used here (the project's `lib` setting has no WebAssembly typings). */
interface WasmApi {
  Module: { new (bytes: Uint8Array): object; imports(module: object): { module: string; name: string }[] };
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}

let library: Promise<Ebur128Wasm> | undefined;

/**
 * Loads `ebur128-wasm` in this process, without `--experimental-wasm-modules`.
 *
 * The package is a wasm-bindgen "bundler" build: `ebur128_wasm_bg.js` (the JS glue) starts with
 * `import * as wasm from './ebur128_wasm_bg.wasm'`, which Node 20 resolves only under
 * `--experimental-wasm-modules`, and the `.wasm` in turn imports its four helper functions from
 * that same glue file. We break the cycle the way newer wasm-bindgen bundler output does
 * (`__wbg_set_wasm`): the glue's source is loaded as a module with that one import line replaced
 * by a setter, the `.wasm` is instantiated with the glue as its import object, and the setter
 * hands the instance's exports to the glue. Everything else — copying samples into wasm memory,
 * the panic hooks — is the package's own code, unchanged. A glue file that already exports
 * `__wbg_set_wasm` (a later package build) is used as it is.
 *
 * Chosen over a child `node --experimental-wasm-modules` per measurement: no flag that newer
 * Nodes rename or drop, no process start per call, and the samples need no trip through a file.
 * @throws Error when the glue file has neither the expected import line nor `__wbg_set_wasm`
 */
function loadLibrary(): Promise<Ebur128Wasm> {
  library ??= (async () => {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('ebur128-wasm/package.json'));
    const gluePath = join(dir, 'ebur128_wasm_bg.js');
    const glueSource = await readFile(gluePath, 'utf8');
    const importLine = /^import \* as wasm from ["']\.\/ebur128_wasm_bg\.wasm["'];?\s*$/m;
    let source: string;
    let setter: string;
    if (importLine.test(glueSource)) {
      source = glueSource.replace(importLine, 'let wasm; export function __vrpgSetWasm(exports) { wasm = exports; }');
      setter = '__vrpgSetWasm';
    } else if (/export function __wbg_set_wasm\b/.test(glueSource)) {
      source = glueSource;
      setter = '__wbg_set_wasm';
    } else {
      throw new Error(`${gluePath}: neither the wasm-bindgen bundler import line nor __wbg_set_wasm found; update test/support/loudness.ts for this ebur128-wasm build`);
    }
    const glue = (await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)) as Record<string, unknown>;
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const module = new wasm.Module(readFileSync(join(dir, 'ebur128_wasm_bg.wasm')));
    // The .wasm names its import module after the glue file ('./ebur128_wasm_bg.js').
    const imports: Record<string, Record<string, unknown>> = {};
    for (const imp of wasm.Module.imports(module)) (imports[imp.module] ??= {})[imp.name] = glue[imp.name];
    const instance = new wasm.Instance(module, imports);
    (glue[setter] as (exports: Record<string, unknown>) => void)(instance.exports);
    return glue as unknown as Ebur128Wasm;
  })();
  return library;
}

/**
 * The same figures from the `ebur128-wasm` package (`ebur128_integrated_mono`,
 * `ebur128_true_peak_mono`; the latter already returns dBTP: a 0.5-amplitude 997 Hz sine reads
 * −6.02). Loaded in-process; see {@link loadLibrary} for why and how.
 * @param input mono WAV path (16/24/32-bit integer or 32/64-bit float), or mono f32 samples and their rate (Hz)
 * @returns the two figures at full precision; integrated is −Infinity when no block passes the gates
 * @throws RangeError for a WAV that is not mono; Error when the package cannot be loaded
 */
export async function libraryLoudness(input: LoudnessInput): Promise<LoudnessFigures> {
  const { samples, sampleRate } = typeof input === 'string' ? await readMonoWav(input) : input;
  const lib = await loadLibrary();
  return {
    integratedLufs: lib.ebur128_integrated_mono(sampleRate, samples),
    truePeakDbtp: lib.ebur128_true_peak_mono(sampleRate, samples),
  };
}

/** Runs `fn` on a WAV path: the given one, or a temporary float WAV of the samples, removed afterwards. */
async function withWavPath<T>(input: LoudnessInput, fn: (path: string) => Promise<T>): Promise<T> {
  if (typeof input === 'string') return fn(input);
  const dir = await mkdtemp(join(tmpdir(), 'vrpg-loudness-'));
  try {
    const wav = new WaveFile();
    wav.fromScratch(1, input.sampleRate, '32f', input.samples);
    const path = join(dir, 'programme.wav');
    await writeFile(path, wav.toBuffer());
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads a mono WAV into f32; integer formats are scaled by 2^(bits−1), as FFmpeg decodes them. */
async function readMonoWav(path: string): Promise<{ samples: Float32Array; sampleRate: number }> {
  const wav = new WaveFile(await readFile(path));
  const fmt = wav.fmt as { numChannels: number; sampleRate: number; bitsPerSample: number; audioFormat: number };
  if (fmt.numChannels !== 1) throw new RangeError(`${path}: ${fmt.numChannels} channels; libraryLoudness measures mono only`);
  // audioFormat 3 = IEEE float; 0xFFFE (extensible) is treated as float only for 32/64-bit float sub-formats, which wavefile reports as bitDepth '32f'/'64'.
  const isFloat = fmt.audioFormat === 3 || wav.bitDepth === '32f' || wav.bitDepth === '64';
  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array;
  const scale = isFloat ? 1 : 2 ** (fmt.bitsPerSample - 1);
  return { samples: Float32Array.from(raw, (v) => v / scale), sampleRate: fmt.sampleRate };
}

function parseFigure(text: string): number {
  return text === '-inf' ? -Infinity : text === 'inf' ? Infinity : Number(text);
}

/** Last lines of a tool's stderr, enough to show why it failed. */
function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
