import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { XttsEngine } from '../../../../plugins/tts-xtts/xtts-engine.ts';
import { xttsOptionsSchema } from '../../../../plugins/tts-xtts/options.ts';
import { concatF32 } from '../../../../server/audio/pcm.ts';
import { ModelManager } from '../../../../server/models/model-manager.ts';
import { isAbortError, type TtsChunk } from '../../../../server/synthesis/tts-engine.ts';
import { cudaProviderLibraries } from '../../../../server/synthesis/cuda-provider-libraries.ts';
import { GpuTierService } from '../../../../plugins/gpu-tier/gpu-tier-service.ts';
import { gpuTierOptionsSchema } from '../../../../plugins/gpu-tier/options.ts';
import { XttsOnnxBackend } from '../../../../plugins/tts-xtts/onnx/xtts-onnx-backend.ts';
import { fakeSmiEnv } from '../../gpu-tier/fake-smi.ts';

/**
 * The `onnx` backend through XttsEngine on the generated tiny fixture (tools/xtts-fixtures; random weights,
 * the real XTTS weights cannot be fetched here): model manager, voice cloning with the model's encoders and
 * its disk cache, streaming, seeds, cancel, and errors.
 */
const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'xtts-onnx');
const TINY = join(FIXTURES, 'tiny');
const log = pino({ level: 'silent' });
const chunk = (text: string, index = 0): TtsChunk => ({ narrationId: 'n1', index, text, language: 'en' });

async function audio(engine: XttsEngine, text: string, signal = new AbortController().signal): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for await (const b of engine.synthesize(chunk(text), undefined, signal)) parts.push(b);
  return concatF32(parts);
}

describe('XttsEngine with backend "onnx" on the tiny fixture (random weights)', function () {
  this.timeout(60_000);
  let voicesDir: string;
  let models: ModelManager;
  const engines: XttsEngine[] = [];

  function engine(extra: Record<string, unknown> = {}): XttsEngine {
    const options = xttsOptionsSchema.parse({ backend: 'onnx', modelDir: TINY, voicesDir, voices: { dm: { wav: 'ref.wav' } }, ...extra });
    const e = new XttsEngine(options, log, models);
    engines.push(e);
    return e;
  }

  beforeEach(() => {
    voicesDir = mkdtempSync(join(tmpdir(), 'xtts-onnx-voices-'));
    copyFileSync(join(FIXTURES, 'reference', 'ref.wav'), join(voicesDir, 'ref.wav'));
    models = new ModelManager({ log });
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    await models.close();
    rmSync(voicesDir, { recursive: true, force: true });
  });

  it('loads and warms the model through the model manager, clones the voice and caches its latents tagged with the model', async () => {
    const e = engine({ decoding: 'greedy' });
    await e.init();
    const [status] = models.status();
    expect(status.id).to.match(/^xtts-onnx:/);
    expect(status.state).to.equal('ready');
    expect(status.leases).to.equal(0);
    expect(status.warmUpMs).to.be.a('number');
    const cached = readdirSync(voicesDir).filter((f) => f.endsWith('.latents.json'));
    expect(cached).to.have.length(1);
    expect(cached[0]).to.match(/^ref\.wav\.[0-9a-f]{16}\.onnx-[0-9a-f]{8}\.latents\.json$/);
  });

  it('streams 24 kHz audio, the same twice when greedy, and holds a lease only while streaming', async () => {
    const e = engine({ decoding: 'greedy' });
    await e.init();
    const a = await audio(e, 'The door creaks open.');
    // 45 tokens (the fixture's cap) ≈ 45 × 1114.6 samples, less Coqui's final held-back 1024.
    expect(a.length).to.be.within(40 * 1114, 46 * 1115);
    expect(a.some((v) => v !== 0)).to.equal(true);
    expect(Array.from(await audio(e, 'The door creaks open.'))).to.deep.equal(Array.from(a));
    expect(models.status()[0].leases).to.equal(0);
  });

  it('repeats sampled audio from the same seed', async () => {
    const a = engine({ seed: 42 });
    const b = engine({ seed: 42 });
    await a.init();
    await b.init();
    expect(Array.from(await audio(a, 'Roll for initiative.'))).to.deep.equal(Array.from(await audio(b, 'Roll for initiative.')));
  });

  it('reuses the cached latents on the next start instead of cloning again', async () => {
    await engine().init();
    const cached = readdirSync(voicesDir).find((f) => f.endsWith('.latents.json'))!;
    // Replace the cache with marked latents: a second engine must read them, not recompute.
    const marked = { gpt_cond_latent: Array.from({ length: 32 }, () => new Array(64).fill(0.01)), speaker_embedding: new Array(512).fill(0.02) };
    writeFileSync(join(voicesDir, cached), JSON.stringify(marked));
    const second = engine({ decoding: 'greedy' });
    await second.init();
    expect((await audio(second, 'Hello.')).length).to.be.greaterThan(0);
  });

  it('ends a cancelled chunk with AbortError and releases the lease', async () => {
    const e = engine({ decoding: 'greedy' });
    await e.init();
    const ac = new AbortController();
    let blocks = 0;
    let err: unknown;
    try {
      for await (const _ of e.synthesize(chunk('A long tale of dragons and gold.'), undefined, ac.signal)) {
        blocks++;
        ac.abort();
      }
    } catch (x) {
      err = x;
    }
    expect(blocks).to.equal(1);
    expect(isAbortError(err)).to.equal(true);
    expect(models.status()[0].leases).to.equal(0);
  });

  it('names the missing files of a model folder that is not an export', async () => {
    const e = engine({ modelDir: voicesDir });
    let err: Error | undefined;
    try {
      await e.init();
    } catch (x) {
      err = x as Error;
    }
    expect(err?.message).to.match(/lacks gpt_model\.onnx, hifigan_vocoder\.onnx/);
  });

  describe('on a GPU box without the CUDA provider (stand-in nvidia-smi: an RTX 4090; onnxruntime-node as installed here)', () => {
    function gpuBox(): { tier: GpuTierService; warnings: Record<string, unknown>[]; engine(createBackend?: ConstructorParameters<typeof XttsEngine>[4]): XttsEngine } {
      const warnings: Record<string, unknown>[] = [];
      const warnLog = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
      const tier = new GpuTierService(gpuTierOptionsSchema.parse({ monitor: { enabled: false } }), { env: fakeSmiEnv('rtx-4090') });
      const make = (createBackend?: ConstructorParameters<typeof XttsEngine>[4]) => {
        const options = xttsOptionsSchema.parse({ backend: 'onnx', modelDir: TINY, voicesDir, voices: { dm: { wav: 'ref.wav' } }, decoding: 'greedy' });
        const e = new XttsEngine(options, warnLog, models, tier, createBackend);
        engines.push(e);
        return e;
      };
      return { tier, warnings, engine: make };
    }

    it('loads on the CPU provider with one warning, narrates, and the tier re-derives a CPU policy', async function () {
      if (cudaProviderLibraries().reason === null) this.skip(); // the provider is installed here: CUDA may really load
      const box = gpuBox();
      await box.tier.init();
      expect(box.tier.config.executionProviders[0]).to.deep.include({ name: 'cuda' });
      const e = box.engine();
      await e.init();
      expect((await audio(e, 'The door creaks open.')).length).to.be.greaterThan(0);
      expect(box.warnings).to.have.length(1);
      expect(box.warnings[0]).to.deep.include({ plugin: 'tts-xtts', providers: ['cuda'] });
      expect(box.warnings[0]!.reason).to.contain('libonnxruntime_providers_cuda.so');
      expect(box.tier.current()).to.deep.include({ tier: 'cpu', streams: 1 });
      expect(box.tier.config.executionProviders).to.deep.equal([{ name: 'cpu' }]);
      expect(box.tier.detected.detection.fallbackReason).to.contain('CUDA execution provider unavailable');
    });

    it('falls back the same way when onnxruntime itself fails to load CUDA (the provider files present but unloadable)', async function () {
      if (cudaProviderLibraries().reason === null) this.skip();
      const box = gpuBox();
      // The real onnxruntime attempt: the files are only said to be present, so it tries, and fails as on a box without cuDNN.
      const e = box.engine((o, l, d) => new XttsOnnxBackend(o, l, { ...d, sessions: { cudaLibraries: { dir: '/stand-in', missing: [], reason: null } } }));
      await e.init();
      expect((await audio(e, 'Roll for initiative.')).length).to.be.greaterThan(0);
      expect(box.warnings.map((w) => w.reason)).to.deep.equal(['OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library']);
      expect(box.tier.current().tier).to.equal('cpu');
    });
  });

  it('refuses an unknown voice before streaming, naming the configured ones', async () => {
    const e = engine();
    await e.init();
    expect(() => e.synthesize(chunk('Hi.'), 'bard', new AbortController().signal)).to.throw(/unknown XTTS voice "bard"; configured: dm/);
  });
});
