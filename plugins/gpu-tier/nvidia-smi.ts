import { spawn } from 'node:child_process';

/** The columns detection and the monitor ask nvidia-smi for, in this order. */
export const GPU_QUERY_FIELDS = ['index', 'name', 'memory.total', 'memory.used', 'compute_cap', 'utilization.gpu'] as const;

/** Outcome of one nvidia-smi run: its stdout, or why there is none worth parsing. */
export type SmiResult = { ok: true; stdout: string } | { ok: false; reason: string };

/**
 * Runs nvidia-smi once with `args` and collects stdout (UTF-8).
 * Never throws: a missing executable, a non-zero exit (its first output line is kept, e.g.
 * "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver") or a run longer than
 * `timeoutMs` (the process is SIGKILLed and we do not wait for its pipes to close) give `{ ok: false, reason }`.
 * @param opts.path executable, default `nvidia-smi` looked up on `env.PATH`
 * @param opts.timeoutMs bound on the run, ms
 * @param opts.env environment of the child, default `process.env`
 */
export function runNvidiaSmi(
  args: readonly string[],
  opts: { path?: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<SmiResult> {
  const file = opts.path ?? 'nvidia-smi';
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: SmiResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ ok: false, reason: `could not start ${file}: ${(err as Error).message}` });
      return;
    }
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => errOut.push(b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle({ ok: false, reason: `${file} did not answer within ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      settle({
        ok: false,
        reason: err.code === 'ENOENT' ? `${file} not found (is the NVIDIA driver installed and on PATH?)` : `could not run ${file}: ${err.message}`,
      });
    });
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) return settle({ ok: true, stdout });
      const text = `${stdout}\n${Buffer.concat(errOut).toString('utf8')}`;
      const firstLine = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? '(no output)';
      settle({ ok: false, reason: `${file} exited with ${code ?? signal}: ${firstLine}` });
    });
  });
}
