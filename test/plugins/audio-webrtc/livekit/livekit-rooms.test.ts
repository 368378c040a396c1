import { expect } from 'chai';
import pino from 'pino';
import { createServer } from 'node:net';
import { EMPTY_TIMEOUT_SECONDS, LiveKitRooms } from '../../../../plugins/audio-webrtc/livekit/livekit-rooms.ts';
import { RoomServiceStandIn } from './room-service-stand-in.ts';

const KEY = 'devkey';
const SECRET = 'secret';
const log = pino({ level: 'silent' });

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** A port nothing listens on: bind, read, release. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('LiveKitRooms', () => {
  let server: RoomServiceStandIn;

  beforeEach(async () => {
    server = await RoomServiceStandIn.start(KEY, SECRET);
  });
  afterEach(async () => {
    await server.stop();
  });

  it('creates the room on ensureRoom with a short empty timeout, signed with a roomCreate grant', async () => {
    const rooms = new LiveKitRooms({ url: server.url, apiKey: KEY, apiSecret: SECRET }, log);
    await rooms.ensureRoom('vrpg-r1');
    expect(server.rooms.get('vrpg-r1')?.emptyTimeout).to.equal(EMPTY_TIMEOUT_SECONDS);
    expect(EMPTY_TIMEOUT_SECONDS).to.be.below(300);
    const call = server.calls[0]!;
    expect(call.method).to.equal('CreateRoom');
    expect(call.status).to.equal(200);
    expect(call.body.name).to.equal('vrpg-r1');
    expect((call.claims?.video as { roomCreate?: boolean }).roomCreate).to.equal(true);
    expect(call.claims?.iss).to.equal(KEY);
  });

  it('leaves an existing room in place when ensured again', async () => {
    const rooms = new LiveKitRooms({ url: server.url, apiKey: KEY, apiSecret: SECRET }, log);
    await rooms.ensureRoom('vrpg-r1');
    const sid = server.rooms.get('vrpg-r1')!.sid;
    await rooms.ensureRoom('vrpg-r1');
    expect(server.rooms.size).to.equal(1);
    expect(server.rooms.get('vrpg-r1')!.sid).to.equal(sid);
  });

  it('deletes the room, and a second delete of the gone room is not an error', async () => {
    const rooms = new LiveKitRooms({ url: server.url, apiKey: KEY, apiSecret: SECRET }, log);
    await rooms.ensureRoom('vrpg-r2');
    await rooms.deleteRoom('vrpg-r2');
    expect(server.rooms.has('vrpg-r2')).to.equal(false);
    await rooms.deleteRoom('vrpg-r2');
    expect(server.calls.map((c) => [c.method, c.status])).to.deep.equal([
      ['CreateRoom', 200],
      ['DeleteRoom', 200],
      ['DeleteRoom', 404],
    ]);
  });

  it('surfaces a wrong secret as an error naming the room and the 401, without echoing the token', async () => {
    const rooms = new LiveKitRooms({ url: server.url, apiKey: KEY, apiSecret: 'not-the-secret' }, log);
    const err = await rejection(rooms.ensureRoom('vrpg-r3'));
    expect(err.message).to.contain('"vrpg-r3"');
    expect(err.message).to.contain('401');
    expect(err.message).to.contain('invalid token');
    expect(err.message).not.to.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
    expect(server.rooms.size).to.equal(0);
  });

  it('surfaces a wrong secret on delete as an error, not as "already gone"', async () => {
    const rooms = new LiveKitRooms({ url: server.url, apiKey: KEY, apiSecret: 'not-the-secret' }, log);
    const err = await rejection(rooms.deleteRoom('vrpg-r4'));
    expect(err.message).to.match(/"vrpg-r4" could not be deleted/);
    expect(err.message).to.contain('401');
  });

  it('names an unknown API key', async () => {
    const rooms = new LiveKitRooms({ url: server.url, apiKey: 'otherkey', apiSecret: SECRET }, log);
    const err = await rejection(rooms.ensureRoom('vrpg-r5'));
    expect(err.message).to.contain('invalid API key: otherkey');
  });

  it('gives a clear error naming the room and URL when the server is down', async () => {
    const url = `ws://127.0.0.1:${await freePort()}`;
    const rooms = new LiveKitRooms({ url, apiKey: KEY, apiSecret: SECRET }, log);
    const err = await rejection(rooms.ensureRoom('vrpg-r6'));
    expect(err.message).to.contain('"vrpg-r6"');
    expect(err.message).to.contain(url);
    expect(err.message).to.match(/no answer from the server.*ECONNREFUSED/);
    const del = await rejection(rooms.deleteRoom('vrpg-r6'));
    expect(del.message).to.match(/"vrpg-r6" could not be deleted.*ECONNREFUSED/);
  });
});
