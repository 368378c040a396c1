import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectGpus, parseCudaVisibleDevices, parseGpuRows } from '../../../plugins/gpu-tier/detect.ts';
import { fakeSmiEnv } from './fake-smi.ts';

describe('gpu-tier detectGpus (stand-in nvidia-smi on PATH)', () => {
  it('reads name, VRAM, compute capability and usage of a single card', async () => {
    const d = await detectGpus({ env: fakeSmiEnv('rtx-4090') });
    expect(d.fallbackReason).to.equal(null);
    expect(d.selected).to.deep.include({ index: 0, cudaDeviceId: 0, name: 'NVIDIA GeForce RTX 4090', vramMb: 24564, usedMb: 1201, computeCapability: '8.9', utilizationPct: 2 });
  });

  it('picks the GPU with the most free VRAM by default, not the biggest', async () => {
    const d = await detectGpus({ env: fakeSmiEnv('multi-gpu') });
    expect(d.gpus.map((g) => g.index)).to.deep.equal([0, 1]);
    expect(d.selected?.name).to.equal('NVIDIA GeForce RTX 3070');
    expect(d.choice).to.equal('most-free-vram');
  });

  it('honours a configured device index', async () => {
    const d = await detectGpus({ env: fakeSmiEnv('multi-gpu'), deviceIndex: 0 });
    expect(d.selected?.name).to.equal('NVIDIA GeForce RTX 3090');
    expect(d.choice).to.equal('option');
  });

  it('notes a configured index that is not visible and falls back to most free VRAM', async () => {
    const d = await detectGpus({ env: fakeSmiEnv('multi-gpu'), deviceIndex: 5 });
    expect(d.selected?.index).to.equal(1);
    expect(d.notes.join()).to.contain('deviceIndex 5');
  });

  it('keeps only the GPUs CUDA_VISIBLE_DEVICES lists, with CUDA ordinals in its order', async () => {
    const d = await detectGpus({ env: fakeSmiEnv('multi-gpu', { CUDA_VISIBLE_DEVICES: '0' }) });
    expect(d.gpus).to.have.length(1);
    expect(d.selected).to.deep.include({ index: 0, cudaDeviceId: 0 });
    const swapped = await detectGpus({ env: fakeSmiEnv('multi-gpu', { CUDA_VISIBLE_DEVICES: '1,0' }) });
    expect(swapped.gpus.map((g) => [g.index, g.cudaDeviceId])).to.deep.equal([[1, 0], [0, 1]]);
  });

  it('matches CUDA_VISIBLE_DEVICES UUID prefixes by querying uuid', async () => {
    const d = await detectGpus({ env: fakeSmiEnv('multi-gpu', { CUDA_VISIBLE_DEVICES: 'GPU-5c1e7a52' }) });
    expect(d.gpus.map((g) => g.name)).to.deep.equal(['NVIDIA GeForce RTX 3090']);
    expect(d.selected?.uuid).to.match(/^GPU-5c1e7a52/);
  });

  for (const hidden of ['', '-1']) {
    it(`falls back to CPU when CUDA_VISIBLE_DEVICES="${hidden}" hides every GPU`, async () => {
      const d = await detectGpus({ env: fakeSmiEnv('rtx-4090', { CUDA_VISIBLE_DEVICES: hidden }) });
      expect(d.selected).to.equal(null);
      expect(d.fallbackReason).to.contain('CUDA_VISIBLE_DEVICES');
    });
  }

  it('falls back to CPU when nvidia-smi finds no devices', async () => {
    const d = await detectGpus({ env: fakeSmiEnv('none') });
    expect(d.selected).to.equal(null);
    expect(d.fallbackReason).to.match(/no devices/i);
  });

  it('falls back to CPU with the driver message when nvidia-smi fails', async () => {
    const d = await detectGpus({ env: fakeSmiEnv('driver-failure') });
    expect(d.selected).to.equal(null);
    expect(d.fallbackReason).to.contain('exited with 9').and.to.contain("couldn't communicate with the NVIDIA driver");
  });

  it('falls back to CPU on garbage output', async () => {
    const d = await detectGpus({ env: fakeSmiEnv('malformed') });
    expect(d.selected).to.equal(null);
    expect(d.fallbackReason).to.match(/no usable GPU|unparseable/);
  });

  it('falls back to CPU when nvidia-smi is not on PATH', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-smi-'));
    const d = await detectGpus({ env: { ...fakeSmiEnv('rtx-4090'), PATH: empty } });
    expect(d.selected).to.equal(null);
    expect(d.fallbackReason).to.contain('not found');
  });

  it('falls back to CPU when nvidia-smi does not answer within the timeout', async () => {
    const d = await detectGpus({ env: fakeSmiEnv('hang'), timeoutMs: 300 });
    expect(d.selected).to.equal(null);
    expect(d.fallbackReason).to.contain('did not answer within 300 ms');
  });

  it('skips rows with missing fields or no total memory and keeps the good one', async () => {
    const d = await detectGpus({ env: fakeSmiEnv('partial') });
    expect(d.gpus.map((g) => g.index)).to.deep.equal([2]);
    expect(d.selected).to.deep.include({ name: 'NVIDIA GeForce RTX 3070', usedMb: null, utilizationPct: null, computeCapability: '8.6' });
    expect(d.skipped.map((s) => s.reason).join(' | ')).to.contain('memory.total').and.to.contain('expected 6');
  });
});

describe('gpu-tier parseGpuRows', () => {
  it('keeps a GPU whose compute capability is [N/A] with null, rejects a non-numeric one', () => {
    const r = parseGpuRows('0, Some GPU, 8192, 10, [N/A], 0\n1, Other GPU, 8192, 10, eight, 0');
    expect(r.gpus).to.have.length(1);
    expect(r.gpus[0]!.computeCapability).to.equal(null);
    expect(r.skipped[0]!.reason).to.contain('compute_cap');
  });
});

describe('gpu-tier parseCudaVisibleDevices', () => {
  it('is null when unset and stops at the first invalid entry, like the CUDA runtime', () => {
    expect(parseCudaVisibleDevices(undefined)).to.equal(null);
    expect(parseCudaVisibleDevices('')).to.deep.equal([]);
    expect(parseCudaVisibleDevices('-1')).to.deep.equal([]);
    expect(parseCudaVisibleDevices('2, 0,-1,1')).to.deep.equal([{ kind: 'index', index: 2 }, { kind: 'index', index: 0 }]);
    expect(parseCudaVisibleDevices('GPU-ABC1')).to.deep.equal([{ kind: 'uuid', prefix: 'gpu-abc1' }]);
  });
});
