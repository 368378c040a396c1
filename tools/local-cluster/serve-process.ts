import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort } from './free-port.ts';

/** The package bin, as a user runs it (dist/, written by `npm run build`); found from this file, not the working directory. */
const BIN = fileURLToPath(new URL('../../bin/vrpg-narrator.js', import.meta.url));

/** How a `serve` process ended. */
export interface ServeExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * `vrpg-narrator serve` in a child process on a free loopback port, espeak-ng and the `wav` sink only,
 * recording into a folder of its own; its stderr (pino JSON lines and the CLI's lines) is kept.
 * Used by the multi-process tests (test/server/cluster/) and the `processes` bench section, so it
 * depends on Node alone (no mocha).
 */
export class ServeProcess {
  private stderrText = '';
  /** Resolves when the process exits. */
  readonly exited: Promise<ServeExit>;

  private constructor(private readonly child: ChildProcess, readonly port: number, readonly recordingsDir: string) {
    child.stderr!.on('data', (d) => (this.stderrText += d));
    child.stdout!.on('data', (d) => (this.stderrText += d));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** `ws://127.0.0.1:<port>` */
  get endpoint(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** `127.0.0.1:<port>`: the `--public-address` it was given (with `publicAddress: true`). */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Everything it wrote so far. */
  get stderr(): string {
    return this.stderrText;
  }

  /** Its pino lines whose `msg` matches. */
  logLines(msg: RegExp): Array<Record<string, unknown>> {
    return this.stderrText.split('\n').flatMap((l) => {
      if (!l.startsWith('{')) return [];
      try {
        const o = JSON.parse(l) as Record<string, unknown>;
        return msg.test(String(o.msg)) ? [o] : [];
      } catch {
        return [];
      }
    });
  }

  /**
   * Starts `serve --port <free> [--redis url --public-address 127.0.0.1:<port>]` and resolves when it
   * listens (its "table room on ws://" line). A port taken before the bind (exit 2, "already in use")
   * is retried on another, twice.
   * @param options.env extra environment (`VRPG_SHUTDOWN__DRAIN_MS`…)
   * @throws Error when it exits or does not listen within `timeoutMs`, with its output
   */
  static async start(options: { redisUrl?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ServeProcess> {
    const timeoutMs = options.timeoutMs ?? 90_000;
    for (let attempt = 0; ; attempt++) {
      const port = await freeLoopbackPort();
      const recordingsDir = mkdtempSync(join(tmpdir(), 'vrpg-serve-'));
      const args = [BIN, 'serve', '--port', String(port), ...(options.redisUrl ? ['--redis', options.redisUrl, '--public-address', `127.0.0.1:${port}`] : [])];
      const child = spawn(process.execPath, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          VRPG_HOST: '127.0.0.1',
          VRPG_SINKS: 'wav',
          VRPG_PLUGINS: '{"tts-espeak":{}}',
          VRPG_RECORDINGS_DIR: recordingsDir,
          VRPG_LOG__LEVEL: 'info',
          ...options.env,
        },
      });
      const proc = new ServeProcess(child, port, recordingsDir);
      const listening = await new Promise<boolean>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`serve did not listen within ${timeoutMs} ms:\n${proc.stderr}`));
        }, timeoutMs);
        const onData = () => {
          if (!proc.stderr.includes('table room on ws://')) return;
          clearTimeout(timer);
          child.stderr!.off('data', onData);
          resolve(true);
        };
        child.stderr!.on('data', onData);
        void proc.exited.then(() => {
          clearTimeout(timer);
          resolve(false);
        });
      });
      if (listening) return proc;
      if (attempt >= 2 || !/already in use/.test(proc.stderr)) throw new Error(`serve exited before listening:\n${proc.stderr}`);
    }
  }

  /** Sends a signal (SIGTERM to drain, SIGKILL to die at once). */
  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGKILLs it when still running (test cleanup). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
