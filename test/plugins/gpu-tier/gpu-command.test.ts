import { expect } from 'chai';
import { runGpuCommand } from '../../../plugins/gpu-tier/gpu-command.ts';
import type { CudaProviderProbe } from '../../../plugins/gpu-tier/cuda-provider.ts';
import { cudaProviderLibraries } from '../../../server/synthesis/cuda-provider-libraries.ts';
import { fakeSmiEnv } from './fake-smi.ts';

/** A CUDA provider that loads (stand-in: there is no GPU here). */
const loads: CudaProviderProbe = async () => ({ available: true, checked: 'session', reason: null, libraryDir: '/stand-in/bin' });

describe('gpu-tier runGpuCommand (vrpg-narrator gpu)', () => {
  it('prints the JSON document with exactly the fields of issue 3, and issue 11\'s cudaProvider', async () => {
    const out = JSON.parse(await runGpuCommand({ json: true, env: fakeSmiEnv('multi-gpu', { VRPG_XTTS_PREBUFFER_SECONDS: '2' }), cudaProvider: loads }));
    expect(Object.keys(out)).to.deep.equal(['gpus', 'selected', 'tier', 'profile', 'config', 'sources', 'fallbackReason', 'cudaProvider']);
    expect(out.gpus[1]).to.deep.equal({ index: 1, name: 'NVIDIA GeForce RTX 3070', vramMb: 8192, computeCapability: '8.6' });
    expect(out.selected).to.equal(1);
    expect(out.tier).to.equal('mid-range');
    expect(out.profile).to.equal('auto');
    expect(Object.keys(out.config)).to.deep.equal(['streams', 'vramLimitMb', 'utilizationTarget', 'prebufferSeconds', 'yieldMs', 'executionProviders']);
    expect(out.config.prebufferSeconds).to.equal(2);
    expect(out.config.executionProviders[0]).to.deep.include({ name: 'cuda', deviceId: 1 });
    expect(out.sources).to.deep.include({ tier: 'known-model', prebufferSeconds: 'env', streams: 'tier' });
    expect(out.fallbackReason).to.equal(null);
    expect(out.cudaProvider).to.deep.include({ available: true });
  });

  it('says the CUDA provider is absent on this machine instead of reporting it unconditionally', async function () {
    if (cudaProviderLibraries().reason === null) this.skip(); // the provider is installed here
    const out = JSON.parse(await runGpuCommand({ json: true, env: fakeSmiEnv('rtx-4090') }));
    expect(out.config.executionProviders[0]).to.deep.include({ name: 'cuda' }); // what the tier would use…
    expect(out.cudaProvider).to.deep.include({ available: false, checked: 'files' }); // …and that it cannot load
    expect(out.cudaProvider.reason).to.contain('libonnxruntime_providers_cuda.so');
    const text = await runGpuCommand({ env: fakeSmiEnv('rtx-4090') });
    expect(text).to.match(/CUDA execution provider: not available: .*libonnxruntime_providers_cuda\.so/);
    expect(text).to.contain('onnx sessions will fall back to the CPU provider');
  });

  it('says which CUDA device it checked: the selected GPU\'s ordinal', async () => {
    const asked: number[] = [];
    const probe: CudaProviderProbe = async (id) => (asked.push(id), loads(id));
    await runGpuCommand({ json: true, options: { deviceIndex: 0 }, env: fakeSmiEnv('multi-gpu', { CUDA_VISIBLE_DEVICES: '1,0' }), cudaProvider: probe });
    await runGpuCommand({ json: true, env: fakeSmiEnv('none'), cudaProvider: probe });
    expect(asked).to.deep.equal([1, 0]); // nvidia-smi index 0 is CUDA device 1 under CUDA_VISIBLE_DEVICES=1,0; no GPU → device 0
    const text = await runGpuCommand({ env: fakeSmiEnv('rtx-4090'), cudaProvider: loads });
    expect(text).to.contain('CUDA execution provider: loads');
  });

  it('explains in text which rule classified the card and which variable overrode what', async () => {
    const text = await runGpuCommand({ env: fakeSmiEnv('rtx-4090', { VRPG_XTTS_GPU_STREAMS: '1' }) });
    expect(text).to.contain('NVIDIA GeForce RTX 4090').and.to.contain('known-model').and.to.contain('selected');
    expect(text).to.match(/streams\s+1\s+from env VRPG_XTTS_GPU_STREAMS/);
  });

  it('reports the CPU fallback reason', async () => {
    const out = JSON.parse(await runGpuCommand({ json: true, env: fakeSmiEnv('none') }));
    expect(out).to.deep.include({ selected: null, tier: 'cpu' });
    expect(out.fallbackReason).to.match(/no devices/i);
    expect(out.config.executionProviders).to.deep.equal([{ name: 'cpu' }]);
  });

  it('uses the configured device index from the plugin options', async () => {
    const out = JSON.parse(await runGpuCommand({ json: true, options: { deviceIndex: 0 }, env: fakeSmiEnv('multi-gpu') }));
    expect(out.selected).to.equal(0);
    expect(out.sources.device).to.equal('option');
  });

  it('rejects unknown plugin options', async () => {
    let error: Error | undefined;
    await runGpuCommand({ options: { devcie: 1 }, env: fakeSmiEnv('none') }).catch((e: Error) => (error = e));
    expect(error?.message).to.contain('devcie');
  });
});
