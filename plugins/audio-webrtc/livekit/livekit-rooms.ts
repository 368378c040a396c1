import type { Logger } from 'pino';
import { RoomServiceClient, TwirpError } from 'livekit-server-sdk';

/**
 * Seconds an empty LiveKit room lives before the server closes it. Short, so a room whose
 * Colyseus room crashed before `deleteRoom` does not linger; long enough for the narrator to
 * connect after `ensureRoom` (LiveKit's own default is 5 min, docs.livekit.io "Room service API").
 */
export const EMPTY_TIMEOUT_SECONDS = 60;

/** Request timeout of each RoomService call, seconds (the SDK's default is 10). */
const REQUEST_TIMEOUT_SECONDS = 5;

/** JWTs the server echoes back (livekit-server's auth middleware quotes the rejected token) stay out of logs. */
const JWT_PATTERN = /eyJ[\w-]+\.[\w-]+\.[\w-]+/g;

function describeFailure(err: unknown): string {
  if (err instanceof TwirpError) {
    const code = err.code ? ` ${err.code}` : '';
    return `server answered ${err.status}${code}: ${err.message.replace(JWT_PATTERN, '<token>')}`;
  }
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return `no answer from the server: ${e.message ?? String(err)}${cause ? ` (${cause})` : ''}`;
}

/**
 * Creates and deletes the LiveKit rooms that carry each Colyseus room's narration
 * (PROTOCOL.md "Media (livekit mode)": created with the Colyseus room, deleted when it is disposed),
 * through LiveKit's Twirp RoomService API (`RoomServiceClient` of livekit-server-sdk).
 */
export class LiveKitRooms {
  private readonly client: RoomServiceClient;
  private readonly url: string;

  /**
   * @param o.url LiveKit server URL, `ws(s)://` or `http(s)://` (e.g. `ws://localhost:7880`)
   * @param o.apiKey API key; the SDK signs each call with a short-lived `roomCreate` token
   * @param o.apiSecret API secret
   */
  constructor(o: { url: string; apiKey: string; apiSecret: string }, private readonly log: Logger) {
    this.url = o.url;
    // failover only applies to LiveKit Cloud hosts; off so a self-hosted server's 5xx fails at once.
    this.client = new RoomServiceClient(o.url, o.apiKey, o.apiSecret, { requestTimeout: REQUEST_TIMEOUT_SECONDS, failover: false });
  }

  /**
   * Creates the room, or leaves it as it is when it exists (LiveKit's CreateRoom is idempotent).
   * @param name LiveKit room name, e.g. `vrpg-<colyseus roomId>`
   * @throws Error naming the room, the URL and the server's answer (status, Twirp code, message)
   *   or the transport failure when the server cannot be reached
   */
  async ensureRoom(name: string): Promise<void> {
    try {
      const room = await this.client.createRoom({ name, emptyTimeout: EMPTY_TIMEOUT_SECONDS });
      this.log.info({ room: name, sid: room.sid }, 'livekit room ready');
    } catch (err) {
      throw new Error(`LiveKit room "${name}" could not be created at ${this.url}: ${describeFailure(err)}`, { cause: err });
    }
  }

  /**
   * Deletes the room, disconnecting its participants. A room that is already gone (Twirp
   * `not_found`, e.g. closed by its empty timeout) counts as deleted.
   * @param name LiveKit room name
   * @throws Error naming the room, the URL and the server's answer, or the transport failure
   */
  async deleteRoom(name: string): Promise<void> {
    try {
      await this.client.deleteRoom(name);
      this.log.info({ room: name }, 'livekit room deleted');
    } catch (err) {
      if (err instanceof TwirpError && (err.code === 'not_found' || err.status === 404)) {
        this.log.debug({ room: name }, 'livekit room already gone');
        return;
      }
      throw new Error(`LiveKit room "${name}" could not be deleted at ${this.url}: ${describeFailure(err)}`, { cause: err });
    }
  }
}
