import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { CpuFallbackSessions, createOrtSession, type OrtSessionFactory } from '../../../../plugins/tts-xtts/onnx/cpu-fallback-sessions.ts';
import type { InferenceSession } from '../../../../server/models/ort.ts';
import { cudaProviderLibraries, type CudaProviderLibraries } from '../../../../server/synthesis/cuda-provider-libraries.ts';

/**
 * GPU unavailable → CPU for onnxruntime sessions. There is no GPU here, and onnxruntime-node is installed
 * without its CUDA provider, which is exactly the fault of issue 11: the tests use the real onnxruntime and
 * real model files (the tiny XTTS fixture); only where a test needs "the provider's files are present"
 * does it say so through the library check, and onnxruntime then fails for real.
 */
const VOCODER = join(process.cwd(), 'test', 'fixtures', 'xtts-onnx', 'tiny', 'hifigan_vocoder.onnx');
const GPU_OPTIONS: InferenceSession.SessionOptions = {
  executionProviders: [{ name: 'cuda', deviceId: 0 }, { name: 'cpu' }],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
};
/** onnxruntime-node 1.30's own error when the CUDA provider library does not load (measured on this machine). */
const ORT_CUDA_ERROR = 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library';
const PRESENT: () => CudaProviderLibraries = () => ({ dir: '/stand-in/onnxruntime-node/bin', missing: [], reason: null });
const providerInstalledHere = cudaProviderLibraries().reason === null;

function capture(): { log: Logger; warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
  return { log, warnings };
}

/** The real factory, recording the providers each call asked for. */
function recording(calls: string[][], inner: OrtSessionFactory = createOrtSession): OrtSessionFactory {
  return (path, options) => {
    calls.push((options.executionProviders ?? []).map((ep) => (typeof ep === 'string' ? ep : ep.name)));
    return inner(path, options);
  };
}

describe('tts-xtts CpuFallbackSessions (GPU unavailable → CPU)', function () {
  this.timeout(30_000);
  const opened: InferenceSession[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.release()));
  });

  it('opens on the CPU provider with one warning naming the reason when onnxruntime cannot load CUDA, and never retries it', async () => {
    const { log, warnings } = capture();
    const calls: string[][] = [];
    const reasons: string[] = [];
    // Stand-in for a GPU box whose provider files are there but do not load: onnxruntime's exact error for CUDA, the real one for the CPU.
    const create = recording(calls, (path, options) =>
      (options.executionProviders ?? []).some((ep) => typeof ep !== 'string' && ep.name === 'cuda') ? Promise.reject(new Error(ORT_CUDA_ERROR)) : createOrtSession(path, options),
    );
    const sessions = new CpuFallbackSessions({ create, log, onFallback: (r) => reasons.push(r), cudaLibraries: PRESENT });
    for (let i = 0; i < 3; i++) opened.push(await sessions.open(VOCODER, GPU_OPTIONS));
    expect(opened[0]!.inputNames.length).to.be.greaterThan(0);
    expect(calls).to.deep.equal([['cuda', 'cpu'], ['cpu'], ['cpu'], ['cpu']]);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.deep.include({ level: 40, providers: ['cuda'], reason: ORT_CUDA_ERROR, file: 'hifigan_vocoder.onnx' });
    expect(reasons).to.deep.equal([ORT_CUDA_ERROR]);
    expect(sessions.fallbackReason).to.equal(ORT_CUDA_ERROR);
  });

  it('keeps only the first line of a multi-line provider error', async () => {
    const { log, warnings } = capture();
    const first = 'Failed to load library libonnxruntime_providers_cuda.so with error: libcudnn.so.9: cannot open shared object file: No such file or directory';
    const create: OrtSessionFactory = (path, options) =>
      options.executionProviders?.length === 2 ? Promise.reject(new Error(`${first}\n    at OnnxruntimeSessionHandler (backend.js:50:92)`)) : createOrtSession(path, options);
    opened.push(await new CpuFallbackSessions({ create, log, cudaLibraries: PRESENT }).open(VOCODER, GPU_OPTIONS));
    expect(warnings.map((w) => w.reason)).to.deep.equal([first]);
  });

  it('falls back with the real onnxruntime error when the provider files are said to be present but the provider does not load', async function () {
    if (providerInstalledHere) this.skip(); // a CUDA machine: the provider may really load there
    const { log, warnings } = capture();
    const calls: string[][] = [];
    // Real onnxruntime-node: it tries to load libonnxruntime_providers_cuda.so, fails, and prints its own line on stderr.
    opened.push(await new CpuFallbackSessions({ create: recording(calls), log, cudaLibraries: PRESENT }).open(VOCODER, GPU_OPTIONS));
    expect(calls).to.deep.equal([['cuda', 'cpu'], ['cpu']]);
    expect(warnings).to.have.length(1);
    expect(warnings[0]!.reason).to.equal(ORT_CUDA_ERROR);
  });

  it('on this machine (onnxruntime-node without its CUDA provider) skips the CUDA attempt and names the missing library', async function () {
    if (providerInstalledHere) this.skip();
    const { log, warnings } = capture();
    const calls: string[][] = [];
    opened.push(await new CpuFallbackSessions({ create: recording(calls), log }).open(VOCODER, GPU_OPTIONS));
    expect(calls).to.deep.equal([['cpu']]);
    expect(warnings).to.have.length(1);
    expect(warnings[0]!.reason).to.match(/libonnxruntime_providers_cuda\.so not in .*onnxruntime-node.*ONNXRUNTIME_NODE_INSTALL=cuda12/);
  });

  it('throws the CPU error and warns nothing when the model itself cannot load', async () => {
    const { log, warnings } = capture();
    const bad = join(mkdtempSync(join(tmpdir(), 'ort-bad-')), 'broken.onnx');
    writeFileSync(bad, 'not a protobuf');
    const sessions = new CpuFallbackSessions({ log });
    const err = await sessions.open(bad, GPU_OPTIONS).then(() => null, (e: Error) => e);
    expect(err?.message).to.match(/protobuf|parsing|Load model/i);
    expect(warnings).to.have.length(0);
    expect(sessions.fallbackReason).to.equal(null);
  });

  it('passes CPU-only options through untouched', async () => {
    const calls: string[][] = [];
    const sessions = new CpuFallbackSessions({ create: recording(calls) });
    opened.push(await sessions.open(VOCODER, { executionProviders: ['cpu'] }));
    opened.push(await sessions.open(VOCODER, {}));
    expect(calls).to.deep.equal([['cpu'], []]);
    expect(sessions.fallbackReason).to.equal(null);
  });
});
