import { z } from 'zod';
import { VoiceName } from '../config/schema.ts';

/**
 * Client → server message payloads of the `table` room, validated at the boundary.
 * Errors go back to the sender as an `error` message naming the field at fault.
 */

/** C0/C1 control characters other than tab, line feed and carriage return. */
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** Narration text: a non-empty string of at most `maxChars` characters, no control characters. */
export function narrationText(maxChars: number) {
  return z
    .string({ error: 'text must be a string' })
    .max(maxChars, { error: `text is longer than ${maxChars} characters` })
    .refine((s) => s.trim().length > 0, { error: 'text is empty' })
    .refine((s) => !CONTROL_CHARS.test(s), { error: 'text contains control characters' });
}

export const JoinOptionsSchema = z.object({
  name: z
    .string({ error: 'name must be a string' })
    .trim()
    .min(1, { error: 'name is empty' })
    .max(40, { error: 'name is longer than 40 characters' })
    .refine((s) => !CONTROL_CHARS.test(s), { error: 'name contains control characters' }),
  dmSecret: z.string().max(200).optional(),
});
export type JoinOptions = z.infer<typeof JoinOptionsSchema>;

export function narrateSchema(maxChars: number) {
  return z.object({ text: narrationText(maxChars), voice: VoiceName.optional() });
}

/** `narrate_start` payload: an optional voice for the whole stream. */
export const StreamStartSchema = z.object({ voice: VoiceName.optional() }).optional();

export function deltaSchema(maxChars: number) {
  return z.object({ text: z.string({ error: 'text must be a string' }).max(maxChars).refine((s) => !CONTROL_CHARS.test(s), { error: 'text contains control characters' }) });
}

export const GameEventSchema = z
  .object({ type: z.string({ error: 'event type must be a string' }).min(1).max(64) })
  .catchall(z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]));

export const CancelSchema = z.object({ narrationId: z.string().max(64).optional() }).optional();

/** Formats a zod error as one line for the client. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return `${path}${issue.message}`;
}

/** Server → client `error` message. */
export interface ErrorMessage {
  /** The message type that was refused. */
  readonly type: string;
  readonly message: string;
}
