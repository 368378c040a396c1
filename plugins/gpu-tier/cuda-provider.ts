import { cudaProviderLibraries, type CudaProviderLibraries } from '../../server/synthesis/cuda-provider-libraries.ts';

/** Whether onnxruntime's CUDA execution provider can really be used here (`vrpg-narrator gpu`'s `cudaProvider`). */
export interface CudaProviderStatus {
  /** True when a session with the CUDA provider alone was created on the device. */
  readonly available: boolean;
  /** `files`: the provider's libraries are missing, no session was tried; `session`: a one-node session was created (or failed). */
  readonly checked: 'files' | 'session';
  /** Why it is not available, one line (the missing library, or onnxruntime's error); null when available. */
  readonly reason: string | null;
  /** onnxruntime-node's native folder, where the provider libraries belong; null when onnxruntime-node is not installed. */
  readonly libraryDir: string | null;
}

/** Options of the probe session: the CUDA provider alone, so a failure to load it is an error, not a quiet CPU run. */
export interface ProbeSessionOptions {
  readonly executionProviders: readonly [{ readonly name: 'cuda'; readonly deviceId: number }];
}

/** Creates a session from model bytes (onnxruntime-node's `InferenceSession.create`, or a stand-in in tests). */
export type ProbeSessionFactory = (model: Uint8Array, options: ProbeSessionOptions) => Promise<{ release(): Promise<void> }>;

/** Collaborators of {@link checkCudaProvider} (tests replace them; the defaults are the real ones). */
export interface CudaProviderCheckDeps {
  /** The library file check; default {@link cudaProviderLibraries}. */
  readonly libraries?: () => CudaProviderLibraries;
  /** Default: onnxruntime-node, imported only when the libraries are present. */
  readonly createSession?: ProbeSessionFactory;
}

/** How `gpu` checks the provider for one CUDA device ordinal. */
export type CudaProviderProbe = (deviceId: number) => Promise<CudaProviderStatus>;

const onnxruntimeSession: ProbeSessionFactory = async (model, options) => {
  // onnxruntime-node is CommonJS: named exports under tsx's CJS path, one `default` under native ESM.
  type Ort = typeof import('onnxruntime-node');
  const ns: Ort = await import('onnxruntime-node');
  const ort: Ort = 'InferenceSession' in ns ? ns : (ns as unknown as { default: Ort }).default;
  return ort.InferenceSession.create(model, { executionProviders: [...options.executionProviders] });
};

/**
 * Checks that onnxruntime's CUDA execution provider really loads, instead of assuming it from a GPU being
 * present: first its library files ({@link cudaProviderLibraries}; missing → not available, nothing loaded),
 * then a session of a one-node model ({@link identityModel}) with the CUDA provider alone on `deviceId`,
 * which loads the provider, CUDA and cuDNN and initialises the device, and is released at once (when it
 * fails, onnxruntime itself prints one error line on stderr naming the library that did not load). The session
 * costs a CUDA context on the device (a few hundred MiB until the process exits), so only the `gpu` command
 * runs it; the XTTS sessions fall back to the CPU on their own (plugins/tts-xtts/onnx/cpu-fallback-sessions.ts).
 * @param deviceId CUDA device ordinal (after CUDA_VISIBLE_DEVICES)
 * Never throws: every failure is a `reason`.
 */
export async function checkCudaProvider(deviceId: number, deps: CudaProviderCheckDeps = {}): Promise<CudaProviderStatus> {
  const libraries = (deps.libraries ?? (() => cudaProviderLibraries()))();
  if (libraries.reason !== null) return { available: false, checked: 'files', reason: libraries.reason, libraryDir: libraries.dir };
  const create = deps.createSession ?? onnxruntimeSession;
  try {
    const session = await create(identityModel(), { executionProviders: [{ name: 'cuda', deviceId }] });
    await session.release();
    return { available: true, checked: 'session', reason: null, libraryDir: libraries.dir };
  } catch (err) {
    const line = (err instanceof Error ? err.message : String(err)).split('\n', 1)[0]!.trim();
    return {
      available: false,
      checked: 'session',
      // onnxruntime's JS error does not say which library; its own stderr line just before does.
      reason: `${line} (the provider's files are in place: CUDA 12 and cuDNN 9 must be on the library path, and CUDA device ${deviceId} usable; onnxruntime's error line on stderr names what failed)`,
      libraryDir: libraries.dir,
    };
  }
}

/** Protocol-buffer writer for the few ONNX fields {@link identityModel} needs (onnx/onnx.proto3). */
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const field = (num: number, bytes: readonly number[]): number[] => [...varint((num << 3) | 2), ...varint(bytes.length), ...bytes];
const text = (num: number, s: string): number[] => field(num, [...new TextEncoder().encode(s)]);
const int = (num: number, n: number): number[] => [...varint(num << 3), ...varint(n)];

/**
 * A valid ONNX model of one node, `y = Identity(x)` on float32 [1] (IR version 8, opset 13), ~90 bytes,
 * written here so probing the provider needs no model file. Field numbers from onnx/onnx.proto3:
 * ModelProto{ir_version 1, opset_import 8, graph 7}, GraphProto{node 1, name 2, input 11, output 12},
 * NodeProto{input 1, output 2, op_type 4}, ValueInfoProto{name 1, type 2}, TypeProto{tensor_type 1},
 * TypeProto.Tensor{elem_type 1 (FLOAT = 1), shape 2}, TensorShapeProto{dim 1}, Dimension{dim_value 1}.
 */
export function identityModel(): Uint8Array {
  const tensor = field(1, [...int(1, 1), ...field(2, field(1, int(1, 1)))]);
  const valueInfo = (name: string) => [...text(1, name), ...field(2, tensor)];
  const node = [...text(1, 'x'), ...text(2, 'y'), ...text(4, 'Identity')];
  const graph = [...field(1, node), ...text(2, 'cuda_probe'), ...field(11, valueInfo('x')), ...field(12, valueInfo('y'))];
  return Uint8Array.from([...int(1, 8), ...field(8, int(2, 13)), ...field(7, graph)]);
}
