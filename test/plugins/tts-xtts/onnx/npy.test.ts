import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNpy, readNpy, readNpyF32 } from '../../../../plugins/tts-xtts/onnx/npy.ts';

const TINY = 'test/fixtures/xtts-onnx/tiny';

/** .npy bytes as numpy.save writes them: magic, version, padded dict header, raw data. */
function npyBytes(opts: { descr: string; shape: number[]; data: Uint8Array; version?: 1 | 2 | 3; fortran?: boolean }): Uint8Array {
  const version = opts.version ?? 1;
  const shape = opts.shape.length === 1 ? `(${opts.shape[0]},)` : `(${opts.shape.join(', ')})`;
  let header = `{'descr': '${opts.descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;
  const lenBytes = version === 1 ? 2 : 4;
  const pre = 8 + lenBytes;
  header += ' '.repeat(63 - ((pre + header.length) % 64)) + '\n';
  const out = new Uint8Array(pre + header.length + opts.data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  out.set(opts.data, pre + header.length);
  return out;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('npy reader', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'npy-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a little-endian float32 matrix in C order with its shape', () => {
    const values = Float32Array.from([1, -2.5, 3, 4, 5, 0.125]);
    const arr = parseNpy(npyBytes({ descr: '<f4', shape: [2, 3], data: bytesOf(values) }), 'm.npy');
    expect(arr.dtype).to.equal('f4');
    expect(arr.shape).to.deep.equal([2, 3]);
    expect(arr.data).to.be.instanceOf(Float32Array);
    expect(Array.from(arr.data as Float32Array)).to.deep.equal(Array.from(values));
  });

  it('reads float64 and int64 arrays with their own element types', () => {
    const f8 = parseNpy(npyBytes({ descr: '<f8', shape: [2], data: bytesOf(Float64Array.from([0.1, -7])) }), 'a.npy');
    expect(f8.data).to.be.instanceOf(Float64Array);
    expect(Array.from(f8.data as Float64Array)).to.deep.equal([0.1, -7]);
    const i8 = parseNpy(npyBytes({ descr: '<i8', shape: [3], data: bytesOf(BigInt64Array.from([1n, -2n, 2n ** 40n])) }), 'b.npy');
    expect(Array.from(i8.data as BigInt64Array)).to.deep.equal([1n, -2n, 2n ** 40n]);
  });

  it('reads version 2 headers (4-byte header length) and 0-d arrays', () => {
    const arr = parseNpy(npyBytes({ descr: '<f4', shape: [], data: bytesOf(Float32Array.of(42)), version: 2 }), 'v2.npy');
    expect(arr.shape).to.deep.equal([]);
    expect(Array.from(arr.data as Float32Array)).to.deep.equal([42]);
  });

  it('reads data that sits at an odd offset of a larger buffer', () => {
    const file = npyBytes({ descr: '<f4', shape: [2], data: bytesOf(Float32Array.of(1.5, 2.5)) });
    const host = new Uint8Array(file.length + 3);
    host.set(file, 3);
    expect(Array.from(parseNpy(host.subarray(3), 'x.npy').data as Float32Array)).to.deep.equal([1.5, 2.5]);
  });

  it('rejects what it cannot read, naming the file and the reason', () => {
    const good = { descr: '<f4', shape: [2], data: bytesOf(Float32Array.of(1, 2)) };
    expect(() => parseNpy(new Uint8Array(20), 'zero.npy')).to.throw(/zero\.npy.*magic/);
    expect(() => parseNpy(npyBytes({ ...good, descr: '>f4' }), 'big.npy')).to.throw(/big\.npy.*'>f4'/);
    expect(() => parseNpy(npyBytes({ ...good, descr: '<i4' }), 'i4.npy')).to.throw(/i4\.npy.*'<i4'/);
    expect(() => parseNpy(npyBytes({ ...good, fortran: true }), 'f.npy')).to.throw(/f\.npy.*fortran_order/);
    expect(() => parseNpy(npyBytes({ ...good, shape: [3] }), 'short.npy')).to.throw(/short\.npy.*12 data bytes.*8/);
  });

  it('readNpyF32 narrows float64 to float32 and checks the rank', async () => {
    const path = join(dir, 'f8.npy');
    await writeFile(path, npyBytes({ descr: '<f8', shape: [1, 2], data: bytesOf(Float64Array.from([0.5, 1 / 3])) }));
    const { data, shape } = await readNpyF32(path, 2);
    expect(data).to.be.instanceOf(Float32Array);
    expect(shape).to.deep.equal([1, 2]);
    expect(data[1]).to.equal(Math.fround(1 / 3));
    await readNpyF32(path, 1).then(
      () => expect.fail('rank 1 accepted'),
      (err: Error) => expect(err.message).to.contain(path).and.contain('rank-1'),
    );
  });

  it('readNpyF32 refuses int64 data and readNpy names a missing file', async () => {
    const path = join(dir, 'i8.npy');
    await writeFile(path, npyBytes({ descr: '<i8', shape: [1], data: bytesOf(BigInt64Array.of(3n)) }));
    await readNpyF32(path).then(() => expect.fail('int64 accepted'), (err: Error) => expect(err.message).to.contain(path).and.contain('int64'));
    const missing = join(dir, 'nope.npy');
    await readNpy(missing).then(() => expect.fail('missing file read'), (err: Error) => expect(err.message).to.contain(missing));
  });

  describe('on the XTTS fixture tables', function () {
    before(function () {
    });

    it('reads mel_stats.npy as 80 positive float32 divisors', async () => {
      const { data, shape } = await readNpyF32(join(TINY, 'mel_stats.npy'), 1);
      expect(shape).to.deep.equal([80]);
      expect(Array.from(data).every((v) => Number.isFinite(v) && v > 0)).to.equal(true);
    });

    it('reads the embedding tables as matrices of one common width', async () => {
      const names = ['text_embedding', 'text_pos_embedding', 'mel_embedding', 'mel_pos_embedding'];
      const tables = await Promise.all(names.map((n) => readNpyF32(join(TINY, 'embeddings', `${n}.npy`), 2)));
      const width = tables[0]!.shape[1];
      for (const t of tables) {
        expect(t.shape[1]).to.equal(width);
        expect(t.data.length).to.equal(t.shape[0]! * t.shape[1]!);
      }
      expect(tables[2]!.shape[0]).to.equal(1026);
    });
  });
});
