import { parseGpuRows } from './detect.ts';
import { GPU_QUERY_FIELDS, runNvidiaSmi } from './nvidia-smi.ts';

/** One reading of the GPU the monitor watches. */
export interface GpuSample {
  /** VRAM used by every process on the device, MiB. */
  readonly usedMb: number;
  /** Device VRAM, MiB. */
  readonly totalMb: number;
  /** Device utilization, percent 0–100; null when not reported. */
  readonly utilizationPct: number | null;
  /** VRAM used by this process, MiB; null when unknown. */
  readonly processUsedMb: number | null;
}

/** Takes one {@link GpuSample}; rejects when no reading can be had (the monitor logs it and skips the poll). */
export type GpuSampler = () => Promise<GpuSample>;

/**
 * A sampler that runs nvidia-smi: the same `--query-gpu` as detection (row `index`), then, when
 * `processMemory` is set, `--query-compute-apps=pid,used_memory` summed over rows of `pid` (our process).
 * @param opts.index nvidia-smi index of the watched GPU
 * @param opts.timeoutMs bound on each nvidia-smi run, ms
 * @throws (the returned promise rejects) Error naming why: nvidia-smi failure, index missing, used memory [N/A]
 */
export function nvidiaSmiSampler(opts: {
  index: number;
  timeoutMs: number;
  path?: string;
  env?: NodeJS.ProcessEnv;
  processMemory?: boolean;
  pid?: number;
}): GpuSampler {
  const run = (args: string[]) => runNvidiaSmi(args, { timeoutMs: opts.timeoutMs, ...(opts.path ? { path: opts.path } : {}), ...(opts.env ? { env: opts.env } : {}) });
  const pid = opts.pid ?? process.pid;
  return async () => {
    const r = await run([`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits']);
    if (!r.ok) throw new Error(r.reason);
    const gpu = parseGpuRows(r.stdout).gpus.find((g) => g.index === opts.index);
    if (!gpu) throw new Error(`nvidia-smi no longer lists GPU ${opts.index}`);
    if (gpu.usedMb === null) throw new Error(`nvidia-smi reports no memory.used for GPU ${opts.index}`);
    let processUsedMb: number | null = null;
    if (opts.processMemory ?? true) {
      const apps = await run(['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits']);
      if (apps.ok) {
        processUsedMb = 0;
        for (const line of apps.stdout.split(/\r?\n/)) {
          const [p, mem] = line.split(',').map((s) => s.trim());
          if (Number(p) === pid && Number.isFinite(Number(mem)) && mem !== '') processUsedMb += Number(mem);
        }
      }
    }
    return { usedMb: gpu.usedMb, totalMb: gpu.vramMb, utilizationPct: gpu.utilizationPct, processUsedMb };
  };
}
