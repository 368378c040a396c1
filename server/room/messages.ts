import { z } from 'zod';
import { VoiceName } from '../config/schema.ts';
import { NarrationError, textProblem } from '../narration/narration-error.ts';

/**
 * Wire payloads of the narration room plugin (`narration:*`, server/room/narration-room-plugin.ts)
 * and the `table` room's join options, validated at the boundary with schemas built once.
 * They check shapes; the narration text rules (length, emptiness, control characters) are
 * `checkNarrationText`'s, the same for client messages and server-side calls.
 */

/** The message types the narration plugin handles, client → server. */
export const NARRATION_MESSAGES = [
  'narration:event',
  'narration:narrate',
  'narration:narrate_llm',
  'narration:narrate_start',
  'narration:narrate_delta',
  'narration:narrate_end',
  'narration:cancel',
  'narration:pause',
  'narration:resume',
] as const;
export type NarrationMessageType = (typeof NARRATION_MESSAGES)[number];

/**
 * `table` room join options: `{ name, seat?, dmSecret?, tableCode? }`, strict (an unknown key is
 * refused, so a join cannot park junk in the room: issue 11 saw a 500 KB key accepted).
 */
export const JoinOptionsSchema = z.strictObject({
  name: z
    .string({ error: 'name must be a string' })
    .trim()
    .min(1, { error: 'name is empty' })
    .max(40, { error: 'name is longer than 40 characters' })
    .superRefine((s, ctx) => {
      const problem = textProblem(s);
      if (problem) ctx.addIssue({ code: 'custom', message: `name contains ${problem}` });
    }),
  /** The seat asked for (server/room/seats.ts); absent = DM for the first to join, player after. */
  seat: z.enum(['dm', 'player'], { error: 'seat must be "dm" or "player"' }).optional(),
  dmSecret: z.string().max(200).optional(),
  /** The table's join code, when the config or the table's creator set one. */
  tableCode: z.string().max(64).optional(),
});
export type JoinOptions = z.infer<typeof JoinOptionsSchema>;

/** `narration:narrate` `{ text, voice? }`. */
export const NarrateSchema = z.object({ text: z.string({ error: 'text must be a string' }), voice: VoiceName.optional() }).strict();

/** `narration:narrate_llm` `{ prompt, voice? }`: the mounted language model writes the narration (issue 14). */
export const NarrateLlmSchema = z.object({ prompt: z.string({ error: 'prompt must be a string' }), voice: VoiceName.optional() }).strict();

/** `narration:narrate_start` `{ voice? }` (or no payload). */
export const StreamStartSchema = z.object({ voice: VoiceName.optional() }).strict().optional();

/** `narration:narrate_delta` `{ text }`. */
export const DeltaSchema = z.object({ text: z.string({ error: 'text must be a string' }) }).strict();

/** `narration:event` `{ type, ...fields }`: field values are scalars; the rules check names and lengths. */
export const GameEventSchema = z
  .object({ type: z.string({ error: 'event type must be a string' }).min(1).max(64) })
  .catchall(z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]));

/** `narration:cancel` `{ narrationId? }` (or no payload). */
export const CancelSchema = z.object({ narrationId: z.string().max(64).optional() }).strict().optional();

/** Parses a client payload. @throws NarrationError `bad_request` naming the field at fault */
export function parsePayload<S extends z.ZodType>(schema: S, message: unknown): z.infer<S> {
  const result = schema.safeParse(message);
  if (!result.success) throw new NarrationError('bad_request', describeIssue(result.error));
  return result.data;
}

/** Formats a zod error as one line for the client. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return `${path}${issue.message}`;
}

/** Server → client `narration:error`: the message type refused and why. */
export interface ErrorMessage {
  /** The message type that was refused (`narration:narrate`). */
  readonly type: string;
  /** {@link NarrationErrorCode}, `synthesis_failed`, `llm_failed`, or `internal` */
  readonly code: string;
  readonly message: string;
  /** The narration it concerns, for errors after it was accepted (`synthesis_failed`, `llm_failed`). */
  readonly narrationId?: string;
}
