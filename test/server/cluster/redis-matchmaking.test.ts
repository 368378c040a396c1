import 'reflect-metadata';
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { connectRedisMatchmaking } from '../../../server/cluster/redis-matchmaking.ts';
import { waitForNarrations } from '../../../server/cluster/drain.ts';
import { ConfigError } from '../../../server/config/config-error.ts';
import { loadConfig } from '../../../server/config/load-config.ts';
import { RedisServer, redisServerMissing } from '../../../tools/local-cluster/redis-server.ts';
import { freeLoopbackPort } from '../../../tools/local-cluster/free-port.ts';

const run = promisify(execFile);
const BIN = join(process.cwd(), 'bin', 'vrpg-narrator.js');
const silent = pino({ level: 'silent' });

/** The ConfigError `promise` rejects with (fails when it resolves or rejects otherwise). */
async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err, 'rejected with a ConfigError').to.be.instanceOf(ConfigError);
  return err as ConfigError;
}

describe('Redis matchmaking: config and connection (real redis-server; closed and silent ports)', function () {
  this.timeout(30_000);

  it('reads redisUrl, publicAddress and shutdown.drainMs from the environment and refuses bad values by key', () => {
    const { config } = loadConfig({ env: { VRPG_REDIS_URL: 'redis://10.0.0.5:6379', VRPG_PUBLIC_ADDRESS: 'narrator-2.example.com:2568/n2', VRPG_SHUTDOWN__DRAIN_MS: '2500' } });
    expect(config.redisUrl).to.equal('redis://10.0.0.5:6379');
    expect(config.publicAddress).to.equal('narrator-2.example.com:2568/n2');
    expect(config.shutdown.drainMs).to.equal(2500);
    expect(loadConfig({ env: {} }).config.shutdown.drainMs).to.equal(10_000);
    for (const [env, expected] of [
      [{ VRPG_REDIS_URL: 'http://10.0.0.5:6379' }, /^redisUrl: \(from VRPG_REDIS_URL\) must be a URL like redis:\/\/host:6379/],
      [{ VRPG_REDIS_URL: 'localhost:6379' }, /^redisUrl: .*must be a URL/],
      [{ VRPG_PUBLIC_ADDRESS: 'ws://n2.example.com:2568' }, /^publicAddress: .*without a scheme/],
      [{ VRPG_PUBLIC_ADDRESS: 'n2.example.com:2568?x=1' }, /^publicAddress: /],
      [{ VRPG_SHUTDOWN__DRAIN_MS: '-1' }, /^shutdown\.drainMs: /],
      [{ VRPG_SHUTDOWN__DRAIN_MS: '1e9' }, /^shutdown\.drainMs: /],
    ] as const) {
      expect(() => loadConfig({ env }), JSON.stringify(env)).to.throw(ConfigError, expected);
    }
  });

  it('refuses a Redis that refuses connections at once, naming the address but not the password', async () => {
    const port = await freeLoopbackPort(); // nothing listens there
    const err = await configError(connectRedisMatchmaking(`redis://:hunter2secret@127.0.0.1:${port}`, silent));
    expect(err.key).to.equal('redisUrl');
    expect(err.message).to.contain(`redis://127.0.0.1:${port}`).and.match(/ECONNREFUSED/);
    expect(err.message).to.not.contain('hunter2secret');
  });

  it('gives up on a server that accepts and never answers after the bound, instead of hanging', async () => {
    const sockets: net.Socket[] = [];
    const silentServer = net.createServer((s) => sockets.push(s)).listen(0, '127.0.0.1');
    await new Promise((r) => silentServer.once('listening', r));
    const { port } = silentServer.address() as net.AddressInfo;
    try {
      const err = await configError(connectRedisMatchmaking(`redis://127.0.0.1:${port}`, silent, 500));
      expect(err.message).to.match(/cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: /);
    } finally {
      for (const s of sockets) s.destroy();
      silentServer.close();
    }
  });

  it('serve --redis at a dead address exits 2 with one config-error line (dist/, the package bin)', async () => {
    const port = await freeLoopbackPort();
    const err = await run(process.execPath, [BIN, 'serve', '--port', '0', '--redis', `redis://127.0.0.1:${port}`], {
      env: { ...process.env, VRPG_HOST: '127.0.0.1', VRPG_SINKS: 'wav', VRPG_LOG__LEVEL: 'warn' },
      timeout: 25_000,
    }).then(() => null, (e: { code: number; killed: boolean; stderr: string }) => e);
    expect(err, 'serve exited 0').to.not.equal(null);
    expect(err!.killed, 'serve hung until the timeout').to.equal(false);
    expect(err!.code).to.equal(2);
    expect(err!.stderr.trim().split('\n')).to.deep.equal([`vrpg-narrator: config error: redisUrl: cannot reach Redis at redis://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (is redis-server running there?)`]);
  });

  it('connects to a real redis-server and marks a draining process with an expiring key', async function () {
    const missing = redisServerMissing();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    const redis = await RedisServer.start();
    try {
      const m = await connectRedisMatchmaking(redis.url, silent);
      try {
        await m.presence.set('vrpg:test', 'x');
        expect(await m.presence.get('vrpg:test')).to.equal('x');
        await m.markDraining(1500);
        const direct = new Redis(redis.url);
        try {
          const keys = await direct.keys('vrpg:draining:*');
          expect(keys).to.have.length(1);
          expect(await direct.ttl(keys[0]!)).to.be.within(1, 2); // seconds, rounded up from 1500 ms
        } finally {
          direct.disconnect();
        }
      } finally {
        m.presence.shutdown();
        await m.driver.shutdown?.();
      }
    } finally {
      await redis.stop();
    }
  });
});

describe('waitForNarrations (the drain\'s wait)', () => {
  it('resolves when the count reaches 0, at the bound, or at an abort, reporting what was left', async () => {
    const narrator = { narrationsInFlight: 2 };
    setTimeout(() => (narrator.narrationsInFlight = 0), 120);
    const done = await waitForNarrations(narrator, 10_000);
    expect(done).to.include({ finished: true, inFlight: 0 });
    expect(done.waitedMs).to.be.at.least(100);

    narrator.narrationsInFlight = 1;
    const bounded = await waitForNarrations(narrator, 150);
    expect(bounded).to.include({ finished: false, inFlight: 1 });
    expect(bounded.waitedMs).to.be.at.least(149);

    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    const aborted = await waitForNarrations(narrator, 60_000, abort.signal);
    expect(aborted).to.include({ finished: false, inFlight: 1 });
    expect(aborted.waitedMs).to.be.below(60_000);
  });
});
