import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freeLoopbackPort } from './free-port.ts';

/**
 * A real Debian `redis-server` on a free loopback port, no persistence (`--save ''
 * --appendonly no`): what `serve --redis` runs against in the multi-process tests and the
 * `processes` bench section (bench/scenarios/processes.ts). `.ci/run`
 * installs the package; {@link redisServerMissing} says why a machine cannot run it.
 */
export class RedisServer {
  private constructor(private readonly child: ChildProcess, readonly port: number) {}

  /** `redis://127.0.0.1:<port>` */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Starts redis-server and resolves once it accepts connections (its "Ready to accept connections"
   * line). A port taken between the probe and the bind is retried on another, twice.
   * @throws Error when it exits or is not ready within `timeoutMs`, with its output
   */
  static async start(timeoutMs = 15_000): Promise<RedisServer> {
    for (let attempt = 0; ; attempt++) {
      const port = await freeLoopbackPort();
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'notice'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const ready = await new Promise<boolean>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`redis-server not ready within ${timeoutMs} ms:\n${output}`)), timeoutMs);
        const onData = (d: Buffer) => {
          output += d;
          if (/Ready to accept connections/.test(output)) {
            clearTimeout(timer);
            resolve(true);
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve(false);
        });
      });
      if (ready) return new RedisServer(child, port);
      if (attempt >= 2 || !/Address already in use/i.test(output)) throw new Error(`redis-server exited:\n${output}`);
    }
  }

  /** Stops the server (SIGTERM) and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** Why redis-server cannot run here (the binary is not on PATH), or null when it can. */
export function redisServerMissing(): string | null {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error) return `redis-server is not installed (apt-get install redis-server; .ci/run installs it): ${probe.error.message}`;
  return null;
}
