import { Schema, type } from '@colyseus/schema';
import type { PlayoutStatus } from '../playout/playout.ts';

/**
 * The narration's part of a room's synchronized state (@colyseus/schema 5). A host room
 * that declares a field of this type (`@type(NarrationState) narration = new NarrationState()`)
 * gets it kept current by the narration room plugin; without one, the same facts reach clients
 * as `narration:status` and `narration:caption` messages (they are sent either way).
 *
 * `caption` is the source text of the chunk being heard and `captionIndex` its index in
 * narration `narrationId`; they switch when the chunk's first frame is handed to the sinks,
 * so captions follow the audio, not the synthesis, and clear when the narration ends.
 */
export class NarrationState extends Schema {
  @type('string') status: PlayoutStatus = 'idle';
  @type('string') caption: string = '';
  @type('int32') captionIndex: number = -1;
  @type('string') narrationId: string = '';
}

/** The host state's {@link NarrationState} field, if it declares one. */
export function findNarrationState(state: unknown): NarrationState | null {
  if (typeof state !== 'object' || state === null) return null;
  for (const key in state) {
    const value = (state as Record<string, unknown>)[key];
    if (value instanceof NarrationState) return value;
  }
  return null;
}
