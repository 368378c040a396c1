import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Files onnxruntime's CUDA execution provider loads at session creation, per platform. onnxruntime-node
 * (1.30) ships only the CPU provider; `script/install.js` (ONNXRUNTIME_NODE_INSTALL=cuda12) adds these two
 * to its `bin/napi-v6/<platform>/<arch>` folder, which is where libonnxruntime looks for them
 * (`provider_bridge_ort.cc`: "Failed to load library …/libonnxruntime_providers_shared.so"). The install
 * script fetches them only for linux/x64; on Windows they must be copied there by hand; macOS has no CUDA.
 */
export const CUDA_PROVIDER_FILES: Readonly<Partial<Record<NodeJS.Platform, readonly string[]>>> = {
  linux: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
  win32: ['onnxruntime_providers_shared.dll', 'onnxruntime_providers_cuda.dll'],
};

/** The command that installs the CUDA provider into onnxruntime-node (README "XTTS-v2 voices"). */
export const CUDA_PROVIDER_INSTALL = 'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js';

/** Whether the CUDA execution provider's libraries are where onnxruntime-node loads them from. */
export interface CudaProviderLibraries {
  /** onnxruntime-node's native folder (`…/onnxruntime-node/bin/napi-v6/<platform>/<arch>`); null when onnxruntime-node is not installed. */
  readonly dir: string | null;
  /** Names from {@link CUDA_PROVIDER_FILES} that are not in `dir` (all of them when `dir` is null). */
  readonly missing: readonly string[];
  /** Why the provider cannot load, one line; null when every file is present (which does not yet prove it loads: CUDA and cuDNN must too). */
  readonly reason: string | null;
}

/**
 * Checks, without loading any native code, that the CUDA provider's files are in onnxruntime-node's
 * native folder. A file check only: cheap enough to run before every attempt to create a CUDA session,
 * whose failure would make onnxruntime print an error line to stderr.
 * @param opts.dir the native folder to look in (tests); default: resolved from the installed onnxruntime-node
 * @param opts.platform default `process.platform`; `opts.arch` default `process.arch`
 * Never throws.
 */
export function cudaProviderLibraries(opts: { dir?: string; platform?: NodeJS.Platform; arch?: string } = {}): CudaProviderLibraries {
  const platform = opts.platform ?? process.platform;
  const files = CUDA_PROVIDER_FILES[platform];
  if (!files) return { dir: opts.dir ?? null, missing: [], reason: `onnxruntime has no CUDA execution provider on ${platform}` };
  let dir = opts.dir ?? null;
  if (dir === null) {
    try {
      const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
      dir = join(dirname(pkg), 'bin', 'napi-v6', platform, opts.arch ?? process.arch);
    } catch {
      return { dir: null, missing: [...files], reason: 'onnxruntime-node is not installed' };
    }
  }
  const missing = files.filter((f) => !existsSync(join(dir, f)));
  if (missing.length === 0) return { dir, missing, reason: null };
  return { dir, missing, reason: `${missing.join(' and ')} not in ${dir} (install the CUDA provider: ${CUDA_PROVIDER_INSTALL})` };
}
