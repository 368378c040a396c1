import { Room, definePlugins } from '@colyseus/core';
import type { Logger } from 'pino';
import type { NarrationService } from '../narration/narration-service.ts';
import { NarrationRoomPlugin } from './narration-room-plugin.ts';
import { TableState } from './table-state.ts';

/** Name the `table` room type is registered under. */
export const TABLE_ROOM = 'table';

/**
 * Builds the `table` room class bound to the process's narration service.
 * Colyseus constructs rooms itself, so services reach it through the class,
 * not through constructor arguments. Everything narration-specific lives in
 * {@link NarrationRoomPlugin}; the room only owns its state.
 */
export function createTableRoom(service: NarrationService, log: Logger) {
  return class TableRoom extends Room<{ state: TableState }> {
    override state = new TableState();
    override plugins = definePlugins([new NarrationRoomPlugin(service, log)]);
    override maxClients = 64;
  };
}
