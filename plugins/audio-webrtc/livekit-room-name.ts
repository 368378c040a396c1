/**
 * Name of the LiveKit room that carries a Colyseus room's narration (PROTOCOL.md, livekit mode).
 * @param roomId Colyseus room id
 * @returns `vrpg-<roomId>`
 */
export function liveKitRoomName(roomId: string): string {
  return `vrpg-${roomId}`;
}
