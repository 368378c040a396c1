import { MapSchema, Schema, type } from '@colyseus/schema';

/** Someone at the table. */
export class Player extends Schema {
  /** Colyseus session id. */
  @type('string') id: string = '';
  /** Display name (user content: never logged at info). */
  @type('string') name: string = '';
  /** `dm` may narrate, cancel, pause, resume; `player` may send the events the rules allow. */
  @type('string') role: 'dm' | 'player' = 'player';
}

/**
 * The `table` room's synchronized state (@colyseus/schema 5).
 * `caption` is the source text of the chunk being heard now and `captionIndex` its
 * index in narration `narrationId`; both switch when the chunk's first frame is
 * handed to the sinks, so captions follow the audio, not the synthesis.
 */
export class TableState extends Schema {
  @type({ map: Player }) players = new MapSchema<Player>();
  @type('string') status: 'idle' | 'buffering' | 'speaking' | 'paused' = 'idle';
  @type('string') caption: string = '';
  @type('int32') captionIndex: number = -1;
  @type('string') narrationId: string = '';
}
