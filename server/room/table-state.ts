import { MapSchema, Schema, type } from '@colyseus/schema';
import type { Role } from './seats.ts';
import { NarrationState } from './narration-state.ts';

/** Someone at the table. */
export class Player extends Schema {
  /** Colyseus session id. */
  @type('string') id: string = '';
  /** Display name (user content: never logged at info). */
  @type('string') name: string = '';
  /** `dm` may narrate, cancel, pause, resume; `player` may send the events the rules allow. */
  @type('string') role: Role = 'player';
  /** False while the seat waits for its owner to reconnect (config `table.reconnectWindowMs`). */
  @type('boolean') connected: boolean = true;
}

/**
 * The `table` room's synchronized state (@colyseus/schema 5): who is seated, and the
 * narration's status and caption ({@link NarrationState}, kept current by the narration plugin).
 */
export class TableState extends Schema {
  @type({ map: Player }) players = new MapSchema<Player>();
  @type(NarrationState) narration = new NarrationState();
}
