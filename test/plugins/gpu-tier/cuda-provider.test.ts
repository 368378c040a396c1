import { expect } from 'chai';
import * as ortNs from 'onnxruntime-node';
import { checkCudaProvider, identityModel, type ProbeSessionOptions } from '../../../plugins/gpu-tier/cuda-provider.ts';
import { cudaProviderLibraries, type CudaProviderLibraries } from '../../../server/synthesis/cuda-provider-libraries.ts';

const ort = ('InferenceSession' in ortNs ? ortNs : (ortNs as unknown as { default: typeof ortNs }).default);
/** No GPU here, and onnxruntime-node is installed without its CUDA provider: the state of issue 11's GPU box. */
const providerInstalledHere = cudaProviderLibraries().reason === null;
const PRESENT: () => CudaProviderLibraries = () => ({ dir: '/stand-in/onnxruntime-node/bin/napi-v6/linux/x64', missing: [], reason: null });

describe('gpu-tier checkCudaProvider (is the CUDA execution provider really loadable?)', function () {
  this.timeout(30_000);

  it('reports the provider absent on this machine, naming the missing library and the install command, without loading onnxruntime', async function () {
    if (providerInstalledHere) this.skip();
    let sessions = 0;
    const status = await checkCudaProvider(0, { createSession: async () => ((sessions++), { release: async () => undefined }) });
    expect(status).to.deep.include({ available: false, checked: 'files' });
    expect(status.reason).to.match(/libonnxruntime_providers_cuda\.so not in .*onnxruntime-node\/bin\/napi-v6\/linux\/x64/);
    expect(status.reason).to.contain('ONNXRUNTIME_NODE_INSTALL=cuda12');
    expect(status.libraryDir).to.match(/onnxruntime-node\/bin\/napi-v6\/linux\/x64$/);
    expect(sessions).to.equal(0);
  });

  it("reports onnxruntime's own error when the files are there but the provider does not load (real onnxruntime)", async function () {
    if (providerInstalledHere) this.skip();
    const status = await checkCudaProvider(0, { libraries: PRESENT });
    expect(status).to.deep.include({ available: false, checked: 'session' });
    expect(status.reason).to.match(/^OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library \(.*cuDNN 9.*CUDA device 0/);
  });

  it('reports it available when a session with the CUDA provider alone opens on the device, and releases it', async () => {
    const asked: ProbeSessionOptions[] = [];
    let released = 0;
    const status = await checkCudaProvider(1, {
      libraries: PRESENT,
      createSession: async (model, options) => {
        expect(model).to.deep.equal(identityModel());
        asked.push(options);
        return { release: async () => void released++ };
      },
    });
    expect(status).to.deep.equal({ available: true, checked: 'session', reason: null, libraryDir: PRESENT().dir });
    expect(asked).to.deep.equal([{ executionProviders: [{ name: 'cuda', deviceId: 1 }] }]);
    expect(released).to.equal(1);
  });

  it('probes with a valid ONNX model: y = Identity(x) runs on the CPU provider', async () => {
    const session = await ort.InferenceSession.create(identityModel(), { executionProviders: ['cpu'] });
    try {
      expect([session.inputNames, session.outputNames]).to.deep.equal([['x'], ['y']]);
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([0.25]), [1]) });
      expect(Array.from(out.y!.data as Float32Array)).to.deep.equal([0.25]);
    } finally {
      await session.release();
    }
  });
});
