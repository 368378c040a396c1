import 'reflect-metadata';
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { RoomCreationLimit, addressKey, requestAddress } from '../../../server/room/room-creation-limit.ts';
import { startTableServer, type TableServer } from '../../../server/app.ts';
import { TableClient } from '../../../server/cli/table-client.ts';
import { createLogger } from '../../../server/observability/log.ts';
import { instantConfig } from '../../fixtures/instant-config.ts';

describe('RoomCreationLimit', () => {
  it('allows a burst of perMinute creations, then refuses saying how long to wait', () => {
    const limit = new RoomCreationLimit(30);
    const waits = Array.from({ length: 32 }, () => limit.take('10.0.0.1', 0));
    expect(waits.slice(0, 30).every((w) => w === 0)).to.equal(true);
    expect(waits.slice(30)).to.deep.equal([2, 2]); // one creation every 2 s at 30 a minute
    expect(limit.take('10.0.0.2', 0), 'another address has its own budget').to.equal(0);
  });

  it('refills evenly: one more creation every 60/perMinute seconds', () => {
    const limit = new RoomCreationLimit(30);
    for (let i = 0; i < 30; i++) limit.take('a', 0);
    expect(limit.take('a', 1_000)).to.equal(1);
    expect(limit.take('a', 2_000)).to.equal(0);
    expect(limit.take('a', 2_000)).to.be.greaterThan(0);
  });

  it('limits nothing at 0', () => {
    const limit = new RoomCreationLimit(0);
    expect(Array.from({ length: 1000 }, () => limit.take('a', 0)).every((w) => w === 0)).to.equal(true);
  });

  it('remembers at most maxAddresses addresses, forgetting refilled ones before a spent one', () => {
    const many = new RoomCreationLimit(30, 100);
    for (let i = 0; i < 1000; i++) many.take(`10.0.${i >> 8}.${i & 255}`, 0);
    expect(many.size).to.be.at.most(100);

    const limit = new RoomCreationLimit(30, 3);
    limit.take('a', 0);
    for (let i = 0; i < 30; i++) limit.take('spent', 0);
    limit.take('b', 0);
    limit.take('c', 10_000); // 4 > 3: a and b have refilled by now and go; spent has 5 of 30 back
    expect(limit.size).to.equal(2);
    const waits = Array.from({ length: 6 }, () => limit.take('spent', 10_000));
    expect(waits.map((w) => w > 0)).to.deep.equal([false, false, false, false, false, true]);
  });
});

describe('addressKey and requestAddress', () => {
  it('keys IPv4 as is, unwraps IPv4-mapped IPv6, and keys IPv6 by its /64', () => {
    expect(addressKey('203.0.113.7')).to.equal('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).to.equal('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).to.equal(addressKey('2001:db8:1:2:bbbb:cccc:dddd:2'));
    expect(addressKey('2001:db8:1:2::1')).to.equal('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::1')).to.not.equal(addressKey('2001:db8:1:2::1'));
    expect(addressKey('::1')).to.equal('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).to.equal('fe80:0:0:0::/64');
  });

  it('reads X-Forwarded-For only with trustProxy, and then only its last entry', () => {
    const req = { headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.4' }, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
    expect(requestAddress(req, false)).to.equal('127.0.0.1');
    expect(requestAddress(req, true)).to.equal('198.51.100.4');
    const none = { headers: {}, socket: { remoteAddress: '10.1.1.1' } } as unknown as IncomingMessage;
    expect(requestAddress(none, true)).to.equal('10.1.1.1');
  });
});

/** `POST /matchmake/<method>/table` from a chosen loopback address (the whole of 127/8 is this machine). */
function matchmake(port: number, method: string, from: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; retryAfter?: string }> {
  const body = JSON.stringify({ name: 'Eve' });
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, localAddress: from, method: 'POST', path: `/matchmake/${method}/table`, agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => {
          resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null, retryAfter: res.headers['retry-after'] as string | undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('table server under a matchmaking flood (real Colyseus server, HTTP and SDK clients)', function () {
  this.timeout(60_000);
  let app: TableServer;
  let dir: string;

  before(async () => {
    const config = instantConfig();
    dir = config.recordingsDir;
    app = await startTableServer(config, createLogger('silent'));
  });

  after(async () => {
    await app?.close();
  });

  it('refuses room creations from one address past limits.roomsPerMinutePerAddress (429), while a DM elsewhere creates and narrates', async () => {
    const started = performance.now();
    const flood = await Promise.all(Array.from({ length: 300 }, (_, i) => matchmake(app.port, i % 2 ? 'create' : 'joinOrCreate', '127.0.0.2')));
    const floodMs = performance.now() - started;
    const created = flood.filter((r) => r.status === 200);
    const refused = flood.filter((r) => r.status === 429);
    // joinOrCreate joins the flood's own rooms once they exist, but it is counted: it may create.
    expect(created.length + refused.length, JSON.stringify(flood.find((r) => r.status !== 200 && r.status !== 429))).to.equal(300);
    expect(created).to.have.length(30);
    expect(refused[0]!.body.error).to.match(/too many rooms created from your address: at most 30 a minute; try again in \d+ s/);
    expect(Number(refused[0]!.retryAfter)).to.be.at.least(1);
    // The rooms made cost nothing: no playout slot, no recording.
    expect(app.narrator.roomCount).to.equal(0);
    expect(readdirSync(dir)).to.deep.equal([]);

    const dm = await TableClient.create(`ws://127.0.0.1:${app.port}`, { name: 'Mira' });
    try {
      const reply = await dm.request('narrate', { text: 'The flood passes; the table is yours.' });
      expect(reply.ok, JSON.stringify(reply)).to.equal(true);
      const report = await dm.waitForEnd((reply as { narrationId: string }).narrationId);
      expect(report.audioMs).to.be.greaterThan(500);
      expect(readdirSync(dir)).to.deep.equal([`room-${dm.room.roomId}.wav`]);
      expect(app.narrator.roomCount).to.equal(1);
    } finally {
      await dm.leave();
    }
    // The same address joining by id is not limited (only what may create a room is).
    const join = await matchmake(app.port, 'joinById', '127.0.0.2');
    expect(join.status).to.not.equal(429);
    console.log(`      300 matchmaking requests from one address: ${Math.round(floodMs)} ms, ${created.length} created, ${refused.length} refused`);
  });
});

describe('table server behind a reverse proxy (real Colyseus server, HTTP clients)', function () {
  this.timeout(60_000);

  /** Three creations as two clients behind one proxy, then one as a third; the statuses. */
  async function statuses(config: ReturnType<typeof instantConfig>): Promise<number[]> {
    const app = await startTableServer(config, createLogger('silent'));
    try {
      const via = (client: string) => matchmake(app.port, 'create', '127.0.0.3', { 'X-Forwarded-For': `6.6.6.6, ${client}` }).then((r) => r.status);
      return [await via('198.51.100.1'), await via('198.51.100.1'), await via('198.51.100.1'), await via('198.51.100.2')];
    } finally {
      await app.close();
    }
  }

  it('counts the last X-Forwarded-For entry only when config trustProxy is on', async () => {
    // Trusted: each client its own budget, whatever it wrote before the proxy's entry.
    expect(await statuses(instantConfig({ trustProxy: true, 'limits.roomsPerMinutePerAddress': 2 }))).to.deep.equal([200, 200, 429, 200]);
    // Not trusted (the default): the header changes nothing; the proxy's socket address is counted.
    expect(await statuses(instantConfig({ 'limits.roomsPerMinutePerAddress': 2 }))).to.deep.equal([200, 200, 429, 429]);
  });
});
