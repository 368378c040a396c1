import { GPU_QUERY_FIELDS, runNvidiaSmi } from './nvidia-smi.ts';

/** One NVIDIA GPU as nvidia-smi reports it. */
export interface GpuInfo {
  /** nvidia-smi index (PCI bus order). */
  readonly index: number;
  /** CUDA device ordinal the process sees (position in CUDA_VISIBLE_DEVICES, else = index); the CUDA EP's `deviceId`. */
  readonly cudaDeviceId: number;
  readonly name: string;
  /** Total VRAM, MiB. */
  readonly vramMb: number;
  /** VRAM in use by every process, MiB; null when nvidia-smi says [N/A]. */
  readonly usedMb: number | null;
  /** "major.minor", e.g. "8.9"; null when not reported (drivers before 510 lack the field). */
  readonly computeCapability: string | null;
  /** Device-wide utilization, percent 0–100; null when not reported. */
  readonly utilizationPct: number | null;
  /** "GPU-…" UUID, only when CUDA_VISIBLE_DEVICES names GPUs by UUID. */
  readonly uuid?: string;
}

/** A row of nvidia-smi output that was not usable, and why. */
export interface SkippedGpu {
  readonly line: string;
  readonly reason: string;
}

/** How the selected GPU was chosen. */
export type DeviceChoice = 'option' | 'most-free-vram' | 'none';

/** Result of {@link detectGpus}; `selected === null` means CPU, with `fallbackReason` saying why. */
export interface GpuDetection {
  /** Every GPU the process may use (after CUDA_VISIBLE_DEVICES), in CUDA ordinal order. */
  readonly gpus: readonly GpuInfo[];
  readonly selected: GpuInfo | null;
  readonly choice: DeviceChoice;
  readonly skipped: readonly SkippedGpu[];
  readonly fallbackReason: string | null;
  /** Things the user should know that did not force a fallback (e.g. a configured index not visible). */
  readonly notes: readonly string[];
}

/** Options of {@link detectGpus}. */
export interface DetectOptions {
  /** nvidia-smi index to use; absent = most free VRAM. */
  readonly deviceIndex?: number;
  /** Executable, default `nvidia-smi` on PATH. */
  readonly nvidiaSmiPath?: string;
  /** Bound on the nvidia-smi run, ms (default 3000). */
  readonly timeoutMs?: number;
  /** Environment read for CUDA_VISIBLE_DEVICES and PATH (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/** CUDA_VISIBLE_DEVICES parsed: null = unset (all GPUs); otherwise the visible entries in order. */
export type VisibleDevices = null | readonly ({ kind: 'index'; index: number } | { kind: 'uuid'; prefix: string })[];

/**
 * Parses CUDA_VISIBLE_DEVICES the way the CUDA runtime does (CUDA C Programming Guide, "CUDA Environment
 * Variables"): a comma list of ordinals or `GPU-`/`MIG-` UUID prefixes; the list ends at the first invalid
 * entry, so "" and "-1" hide every GPU. Unset → null.
 */
export function parseCudaVisibleDevices(value: string | undefined): VisibleDevices {
  if (value === undefined) return null;
  const entries: ({ kind: 'index'; index: number } | { kind: 'uuid'; prefix: string })[] = [];
  for (const raw of value.split(',')) {
    const token = raw.trim();
    if (/^\d+$/.test(token)) entries.push({ kind: 'index', index: Number(token) });
    else if (/^(GPU|MIG)-[0-9a-f-]+$/i.test(token)) entries.push({ kind: 'uuid', prefix: token.toLowerCase() });
    else break;
  }
  return entries;
}

const NOT_AVAILABLE = /^\[(N\/A|Not Supported|Unknown Error|Insufficient Permissions|GPU is lost)\]$|^N\/A$/i;

function optionalNumber(field: string): number | null {
  if (NOT_AVAILABLE.test(field)) return null;
  const n = Number(field);
  return field !== '' && Number.isFinite(n) ? n : Number.NaN;
}

/**
 * Parses `--format=csv,noheader,nounits` rows of {@link GPU_QUERY_FIELDS} (plus a trailing `uuid` when
 * `withUuid`). Rows without a usable index, name, total VRAM, or with too few fields, are skipped with a reason;
 * [N/A] in used memory, compute capability or utilization is kept as null.
 */
export function parseGpuRows(stdout: string, withUuid = false): { gpus: Omit<GpuInfo, 'cudaDeviceId'>[]; skipped: SkippedGpu[] } {
  const want = GPU_QUERY_FIELDS.length + (withUuid ? 1 : 0);
  const gpus: Omit<GpuInfo, 'cudaDeviceId'>[] = [];
  const skipped: SkippedGpu[] = [];
  for (const line of stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0)) {
    const f = line.split(',').map((s) => s.trim());
    if (f.length < want) {
      skipped.push({ line, reason: `expected ${want} comma-separated fields, got ${f.length}` });
      continue;
    }
    const [idx, name, total, used, cc, util, uuid] = f as [string, string, string, string, string, string, string?];
    const index = Number(idx);
    const vramMb = optionalNumber(total);
    const usedMb = optionalNumber(used);
    const utilizationPct = optionalNumber(util);
    if (!/^\d+$/.test(idx)) skipped.push({ line, reason: `index "${idx}" is not a number` });
    else if (name === '' || NOT_AVAILABLE.test(name)) skipped.push({ line, reason: `GPU ${index} has no name` });
    else if (vramMb === null || !(vramMb > 0)) skipped.push({ line, reason: `GPU ${index} reports no usable memory.total ("${total}")` });
    else if (Number.isNaN(usedMb) || Number.isNaN(utilizationPct)) skipped.push({ line, reason: `GPU ${index} has a non-numeric memory.used or utilization.gpu` });
    else if (!NOT_AVAILABLE.test(cc) && !/^\d+\.\d+$/.test(cc)) skipped.push({ line, reason: `GPU ${index} compute_cap "${cc}" is not major.minor` });
    else {
      gpus.push({
        index,
        name,
        vramMb,
        usedMb,
        computeCapability: NOT_AVAILABLE.test(cc) ? null : cc,
        utilizationPct,
        ...(withUuid && uuid ? { uuid } : {}),
      });
    }
  }
  return { gpus, skipped };
}

function freeMb(g: GpuInfo): number {
  return g.vramMb - (g.usedMb ?? 0);
}

function cpu(reason: string, extra: Partial<GpuDetection> = {}): GpuDetection {
  return { gpus: [], selected: null, choice: 'none', skipped: [], notes: [], ...extra, fallbackReason: reason };
}

/**
 * Detects the NVIDIA GPUs this process may use and picks one: the configured `deviceIndex` if visible,
 * else the one with the most free VRAM (ties → lowest index). Never throws: no nvidia-smi, a driver
 * failure, a timeout, "No devices were found", CUDA_VISIBLE_DEVICES hiding every GPU or unparseable
 * output all give `selected: null` and a `fallbackReason` (→ CPU inference).
 */
export async function detectGpus(opts: DetectOptions = {}): Promise<GpuDetection> {
  const env = opts.env ?? process.env;
  const visible = parseCudaVisibleDevices(env.CUDA_VISIBLE_DEVICES);
  if (visible !== null && visible.length === 0) {
    return cpu(`CUDA_VISIBLE_DEVICES="${env.CUDA_VISIBLE_DEVICES}" hides every GPU`);
  }
  const withUuid = visible?.some((v) => v.kind === 'uuid') ?? false;
  const fields = [...GPU_QUERY_FIELDS, ...(withUuid ? ['uuid'] : [])].join(',');
  const result = await runNvidiaSmi([`--query-gpu=${fields}`, '--format=csv,noheader,nounits'], {
    ...(opts.nvidiaSmiPath ? { path: opts.nvidiaSmiPath } : {}),
    timeoutMs: opts.timeoutMs ?? 3000,
    env,
  });
  if (!result.ok) return cpu(result.reason);
  if (/no devices were found/i.test(result.stdout)) return cpu('nvidia-smi found no devices');
  const { gpus: all, skipped } = parseGpuRows(result.stdout, withUuid);
  if (all.length === 0) {
    const first = result.stdout.trim().split(/\r?\n/)[0]?.slice(0, 120) ?? '';
    return cpu(skipped.length > 0 ? `no usable GPU in nvidia-smi output (${skipped[0]!.reason})` : `unparseable nvidia-smi output: "${first}"`, { skipped });
  }
  const gpus: GpuInfo[] =
    visible === null
      ? all.map((g) => ({ ...g, cudaDeviceId: g.index }))
      : visible.flatMap((v, ordinal) => {
          const g = all.find((x) => (v.kind === 'index' ? x.index === v.index : x.uuid?.toLowerCase().startsWith(v.prefix)));
          return g ? [{ ...g, cudaDeviceId: ordinal }] : [];
        });
  if (gpus.length === 0) {
    return cpu(`CUDA_VISIBLE_DEVICES="${env.CUDA_VISIBLE_DEVICES}" names no GPU that nvidia-smi lists`, { skipped });
  }
  const notes: string[] = [];
  if (opts.deviceIndex !== undefined) {
    const chosen = gpus.find((g) => g.index === opts.deviceIndex);
    if (chosen) return { gpus, selected: chosen, choice: 'option', skipped, fallbackReason: null, notes };
    notes.push(`configured deviceIndex ${opts.deviceIndex} is not a visible GPU; using the one with most free VRAM`);
  }
  const selected = [...gpus].sort((a, b) => freeMb(b) - freeMb(a) || a.index - b.index)[0]!;
  return { gpus, selected, choice: 'most-free-vram', skipped, fallbackReason: null, notes };
}
