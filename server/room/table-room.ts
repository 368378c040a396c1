import { Room, definePlugins } from '@colyseus/core';
import type { Logger } from 'pino';
import type { NarrationService } from '../narration/narration-service.ts';
import { NarrationRoomPlugin } from './narration-room-plugin.ts';
import type { RoomPluginFactory } from './room-plugin-factory.ts';
import { TableState } from './table-state.ts';

/** Name the `table` room type is registered under. */
export const TABLE_ROOM = 'table';

/**
 * Builds the `table` room class bound to the process's narration service.
 * Colyseus constructs rooms itself, so services reach it through the class,
 * not through constructor arguments. Everything narration-specific lives in
 * {@link NarrationRoomPlugin}; mounted plugins add their own room plugins
 * (`extraPlugins`, e.g. WebRTC signaling); the room only owns its state.
 */
export function createTableRoom(service: NarrationService, log: Logger, extraPlugins: readonly RoomPluginFactory[] = []) {
  return class TableRoom extends Room<{ state: TableState }> {
    override state = new TableState();
    override plugins = definePlugins([new NarrationRoomPlugin(service, log), ...extraPlugins.map((f) => f.create(log.child({ plugin: f.name })))]);
    override maxClients = 64;
  };
}
