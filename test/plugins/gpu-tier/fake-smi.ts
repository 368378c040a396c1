import { fileURLToPath } from 'node:url';

/** Folder of the nvidia-smi stand-in and its recorded outputs (test/fixtures/nvidia-smi/). */
export const FAKE_SMI_DIR = fileURLToPath(new URL('../../fixtures/nvidia-smi/', import.meta.url));

/**
 * An environment whose PATH finds the stand-in nvidia-smi first, printing recorded output `fixture`;
 * inherited CUDA_VISIBLE_DEVICES and VRPG_XTTS_* are dropped so the host cannot leak into tests.
 */
export function fakeSmiEnv(fixture: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'CUDA_VISIBLE_DEVICES' && !k.startsWith('VRPG_XTTS_')) env[k] = v;
  return { ...env, PATH: `${FAKE_SMI_DIR}:${process.env.PATH ?? ''}`, FAKE_NVIDIA_SMI_FIXTURE: fixture, ...extra };
}
