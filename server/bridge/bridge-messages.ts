import { z } from 'zod';
import { BRIDGE_VERSION } from './bridge-frame.ts';

/**
 * Client → server control messages of the bridge (game-bridge/PROTOCOL.md), validated at the
 * boundary with schemas built once, and the close codes of every refusal.
 */

/** Close codes (game-bridge/PROTOCOL.md, "Close codes"). */
export const BridgeClose = {
  LEFT: 1000,
  SHUTTING_DOWN: 1001,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  ROOM_CLOSED: 4000,
  BAD_REQUEST: 4400,
  REFUSED: 4401,
  NOT_DM: 4403,
  NOT_FOUND: 4404,
  TIMEOUT: 4408,
  ROOM_FULL: 4409,
  BAD_TOKEN: 4410,
  TOO_SLOW: 4429,
  SERVER_FULL: 4503,
} as const;

/** Largest text frame a client may send, bytes (a 20 000-character narration escaped as JSON fits). */
export const MAX_TEXT_FRAME_BYTES = 256 * 1024;

/** `audio`: true (room rate), false (none) or `{ rate }`. */
const AudioOption = z.union([z.boolean(), z.object({ rate: z.number().int().positive() }).strict()]).default(true);
const Version = z.number({ error: 'v: required (the protocol version, 1)' });

const JoinSchema = z
  .object({
    type: z.literal('join'),
    v: Version,
    room: z.string().min(1).max(128).optional(),
    roomName: z.string().min(1).max(64).optional(),
    name: z.string({ error: 'name: required (a string)' }).max(200),
    options: z.record(z.string(), z.unknown()).optional(),
    role: z.enum(['dm', 'player']).optional(),
    audio: AudioOption,
  })
  .strict()
  .refine((m) => (m.room === undefined) !== (m.roomName === undefined), { error: 'join: exactly one of room (an id) or roomName (a room type)' });

const AttachSchema = z.object({ type: z.literal('attach'), v: Version, token: z.string().min(1).max(200), audio: AudioOption }).strict();
const SendSchema = z.object({ type: z.literal('send'), message: z.string().min(1).max(64), data: z.unknown().optional() }).strict();
const PingSchema = z.object({ type: z.literal('ping'), t: z.number().optional() }).strict();
const LeaveSchema = z.object({ type: z.literal('leave') }).strict();

const SCHEMAS = { join: JoinSchema, attach: AttachSchema, send: SendSchema, ping: PingSchema, leave: LeaveSchema } as const;

export type JoinRequest = z.infer<typeof JoinSchema>;
export type AttachRequest = z.infer<typeof AttachSchema>;
export type BridgeRequest = z.infer<(typeof SCHEMAS)[keyof typeof SCHEMAS]>;

/** A refused client frame: the socket closes with `code` and this message as the reason. */
export class BridgeRefusal extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/**
 * Parses one text frame.
 * @throws BridgeRefusal 4400 naming what is wrong: not JSON, not an object, unknown `type`, a bad field, `v` ≠ 1
 */
export function parseRequest(text: string): BridgeRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BridgeRefusal(BridgeClose.BAD_REQUEST, 'bad JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BridgeRefusal(BridgeClose.BAD_REQUEST, 'a message must be a JSON object');
  const type = (value as { type?: unknown }).type;
  const schema = typeof type === 'string' && Object.hasOwn(SCHEMAS, type) ? SCHEMAS[type as keyof typeof SCHEMAS] : undefined;
  if (!schema) throw new BridgeRefusal(BridgeClose.BAD_REQUEST, `unknown type ${JSON.stringify(type)?.slice(0, 40)}; allowed: ${Object.keys(SCHEMAS).join(', ')}`);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.');
    throw new BridgeRefusal(BridgeClose.BAD_REQUEST, `${type}: ${path && !issue.message.startsWith(path) ? `${path}: ` : ''}${issue.message}`);
  }
  const request = parsed.data;
  if ('v' in request && request.v !== BRIDGE_VERSION) {
    throw new BridgeRefusal(BridgeClose.BAD_REQUEST, `unsupported protocol version ${request.v}; this server speaks ${BRIDGE_VERSION}`);
  }
  return request;
}

/**
 * A close reason as the WebSocket allows it: at most 123 bytes of UTF-8 (RFC 6455 §5.5: 125-byte
 * control frame payload minus the 2-byte code), cut at a character boundary.
 */
export function closeReason(message: string): string {
  let out = message;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}
