import { readFile } from 'node:fs/promises';

/**
 * Strict reader of NumPy `.npy` files (format spec: numpy/lib/format.py, "NPY format" NEP 1):
 * magic `\x93NUMPY`, version 1.x (2-byte header length), 2.x or 3.x (4-byte), a Python-dict header
 * `{'descr': ..., 'fortran_order': False, 'shape': (...), }`, then the raw array in C order.
 * Own code rather than `npyjs`: ~60 lines, and every rejection names the file and what was wrong.
 */

/** Element types this reader accepts: little-endian float32, float64, int64 (`descr` '<f4', '<f8', '<i8'). */
export type NpyDtype = 'f4' | 'f8' | 'i8';

/** A parsed `.npy` array: `data` is row-major (C order) with `shape.reduce(×)` elements. */
export interface NpyArray {
  data: Float32Array | Float64Array | BigInt64Array;
  /** Dimensions, outermost first; `[]` for a 0-d array (one element). */
  shape: number[];
  dtype: NpyDtype;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ELEMENT_BYTES: Record<NpyDtype, number> = { f4: 4, f8: 8, i8: 8 };

/**
 * Parses `.npy` bytes.
 * @param name file name used in error messages.
 * @throws Error naming `name` when the magic, version, header, dtype (anything but '<f4' '<f8' '<i8';
 *   '|'/'=' byte orders are not accepted), fortran_order True, or the data length is wrong.
 */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  const fail = (why: string): never => {
    throw new Error(`${name}: not a readable .npy file: ${why}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('bad magic (expected \\x93NUMPY)');
  const major = bytes[6]!;
  if (major < 1 || major > 3) fail(`unsupported format version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail('truncated header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lenBytes + headerLen;
  if (dataOffset > bytes.length) fail('truncated header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lenBytes, dataOffset));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1] ?? fail(`no 'descr' in header ${header.trim()}`);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1] ?? fail(`no 'fortran_order' in header ${header.trim()}`);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ?? fail(`no 'shape' in header ${header.trim()}`);
  if (fortran !== 'False') fail('fortran_order True is not supported (save with np.ascontiguousarray)');
  const dtype = ({ '<f4': 'f4', '<f8': 'f8', '<i8': 'i8' } as Record<string, NpyDtype>)[descr]
    ?? fail(`dtype '${descr}' is not supported (expected '<f4', '<f8' or '<i8')`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
    if (!/^\d+$/.test(s)) fail(`bad shape (${shapeText})`);
    return Number(s);
  });

  const count = shape.reduce((a, b) => a * b, 1);
  const byteLength = count * ELEMENT_BYTES[dtype];
  if (bytes.length - dataOffset !== byteLength) {
    fail(`shape (${shape.join(', ')}) of ${dtype} needs ${byteLength} data bytes, file has ${bytes.length - dataOffset}`);
  }
  // Copy into a fresh buffer: typed-array views need aligned offsets, and a Node Buffer's .slice()
  // is a view into a shared pool, not a copy.
  const copy = new Uint8Array(byteLength);
  copy.set(bytes.subarray(dataOffset, dataOffset + byteLength));
  const raw = copy.buffer;
  const data = dtype === 'f4' ? new Float32Array(raw) : dtype === 'f8' ? new Float64Array(raw) : new BigInt64Array(raw);
  return { data, shape, dtype };
}

/**
 * Reads a `.npy` file. Assumes a little-endian host (x86-64, arm64), as typed arrays use host order.
 * @throws Error naming the path when the file cannot be read or parsed (see {@link parseNpy}).
 */
export async function readNpy(path: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new Error(`cannot read .npy file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseNpy(bytes, path);
}

/**
 * Reads a float `.npy` file as float32 (f8 narrowed, as the ONNX models take f32).
 * @param expectedRank when given, the number of dimensions the array must have.
 * @returns row-major data and shape.
 * @throws Error naming the path when the dtype is i8, the rank differs, or the file is unreadable.
 */
export async function readNpyF32(path: string, expectedRank?: number): Promise<{ data: Float32Array; shape: number[] }> {
  const arr = await readNpy(path);
  if (expectedRank !== undefined && arr.shape.length !== expectedRank) {
    throw new Error(`${path}: expected a rank-${expectedRank} array, got shape (${arr.shape.join(', ')})`);
  }
  if (arr.dtype === 'i8') throw new Error(`${path}: expected float32/float64 data, got int64`);
  return { data: arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data as Float64Array), shape: arr.shape };
}
