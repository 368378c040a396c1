import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cudaProviderLibraries } from '../../../server/synthesis/cuda-provider-libraries.ts';

describe('cudaProviderLibraries (are the CUDA provider\'s files where onnxruntime-node loads them?)', () => {
  it('names a missing piece of the provider in a given folder (one file of two)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ort-bin-'));
    writeFileSync(join(dir, 'libonnxruntime_providers_shared.so'), '');
    expect(cudaProviderLibraries({ dir, platform: 'linux' })).to.deep.include({ missing: ['libonnxruntime_providers_cuda.so'] });
    writeFileSync(join(dir, 'libonnxruntime_providers_cuda.so'), '');
    expect(cudaProviderLibraries({ dir, platform: 'linux' })).to.deep.equal({ dir, missing: [], reason: null });
    expect(cudaProviderLibraries({ dir, platform: 'darwin' }).reason).to.equal('onnxruntime has no CUDA execution provider on darwin');
  });

  it('finds onnxruntime-node\'s native folder for this platform', () => {
    const found = cudaProviderLibraries();
    expect(found.dir).to.match(new RegExp(`onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}$`));
  });
});
