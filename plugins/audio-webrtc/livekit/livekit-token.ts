import { AccessToken, TrackSource } from 'livekit-server-sdk';

/** Default token lifetime, seconds: 1 h, as plugins/audio-webrtc/PROTOCOL.md ("Tokens") fixes. */
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

/** Identity the server publishes the narration under (PROTOCOL.md, "Media (livekit mode)"). */
export const NARRATOR_IDENTITY = 'narrator';

/** Credentials of a LiveKit deployment (`livekit-server --dev`: key `devkey`, secret `secret`). */
export interface LiveKitCredentials {
  readonly apiKey: string;
  readonly apiSecret: string;
}

function checkTokenInput(o: LiveKitCredentials & { room: string; identity: string; ttlSeconds?: number }): number {
  if (!o.apiKey || !o.apiSecret) throw new Error('LiveKit token: apiKey and apiSecret must be non-empty');
  if (!o.room) throw new Error('LiveKit token: room name must be non-empty');
  if (!o.identity) throw new Error(`LiveKit token for room "${o.room}": identity must be non-empty`);
  const ttl = o.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl <= 0) {
    throw new RangeError(`LiveKit token for room "${o.room}": ttlSeconds ${ttl} is not a positive integer`);
  }
  return ttl;
}

/**
 * Mints the token a listener's browser joins the LiveKit room with: subscribe-only and scoped to
 * one room, so a player can hear the narration of their own table and nothing else, and can neither
 * publish audio nor data into it. Grant per PROTOCOL.md ("Tokens"):
 * `{ room, roomJoin: true, canSubscribe: true, canPublish: false, canPublishData: false }`.
 * @param o.room LiveKit room name (`vrpg-<colyseus roomId>`)
 * @param o.identity Colyseus sessionId (LiveKit rejects a second participant with the same identity)
 * @param o.name player's display name
 * @param o.ttlSeconds lifetime in seconds, default 3600
 * @returns HS256 JWT signed with `apiSecret`, issuer `apiKey`
 * @throws Error when a credential, the room or the identity is empty; RangeError for a bad TTL
 */
export async function mintSubscribeToken(o: {
  apiKey: string;
  apiSecret: string;
  room: string;
  identity: string;
  name: string;
  ttlSeconds?: number;
}): Promise<string> {
  const ttl = checkTokenInput(o);
  const at = new AccessToken(o.apiKey, o.apiSecret, { identity: o.identity, name: o.name, ttl });
  at.addGrant({ room: o.room, roomJoin: true, canSubscribe: true, canPublish: false, canPublishData: false });
  return at.toJwt();
}

/**
 * Mints the server's own token for publishing the narration track: publish-only (the narrator
 * hears nobody), scoped to one room, identity {@link NARRATOR_IDENTITY}. Grant:
 * `{ room, roomJoin: true, canPublish: true, canPublishSources: [TrackSource.MICROPHONE], canSubscribe: false, canPublishData: false }`.
 * @param o.room LiveKit room name
 * @param o.ttlSeconds lifetime in seconds, default 3600 (only the join must happen within it)
 * @returns HS256 JWT
 * @throws as {@link mintSubscribeToken}
 */
export async function mintPublishToken(o: LiveKitCredentials & { room: string; ttlSeconds?: number }): Promise<string> {
  const ttl = checkTokenInput({ ...o, identity: NARRATOR_IDENTITY });
  const at = new AccessToken(o.apiKey, o.apiSecret, { identity: NARRATOR_IDENTITY, name: 'Narrator', ttl });
  at.addGrant({
    room: o.room,
    roomJoin: true,
    canPublish: true,
    canPublishSources: [TrackSource.MICROPHONE],
    canSubscribe: false,
    canPublishData: false,
  });
  return at.toJwt();
}
