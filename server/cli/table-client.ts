import { Client, type Room } from '@colyseus/sdk';
import type { NarrationReport } from '../narration/narration.ts';

/** A narration command: the suffix of a `narration:*` message (server/room/messages.ts). */
export type NarrationCommand = 'event' | 'narrate' | 'narrate_llm' | 'narrate_start' | 'narrate_delta' | 'narrate_end' | 'cancel' | 'pause' | 'resume';

/** A reply to a request: accepted with the narration it started, or refused. */
export type TableReply =
  | { ok: true; type: string; narrationId: string }
  | { ok: false; type: string; message: string };

/** `table` join options (server/room/messages.ts JoinOptionsSchema). */
export interface TableJoinOptions {
  readonly name: string;
  readonly seat?: 'dm' | 'player';
  readonly dmSecret?: string;
  readonly tableCode?: string;
}

/**
 * A seat at a narrated room through the official `@colyseus/sdk` client, for the demo
 * and the tests: sends narration commands (`request('narrate', …)` sends `narration:narrate`),
 * matches each `narration:accepted`/`narration:error` reply to its request (replies to one
 * client come in send order), and collects narration reports.
 */
export class TableClient {
  readonly reports = new Map<string, NarrationReport>();
  /** `table:seat` answers, oldest first: the seat given at join, then every change (handover, promotion, reconnection). */
  readonly seats: Array<{ role: 'dm' | 'player'; reason: string }> = [];
  /** Every `narration:error`: refusals of requests, and errors of accepted narrations (those carry `narrationId`). */
  readonly errors: Array<{ type: string; code?: string; message: string; narrationId?: string }> = [];
  private readonly waiting: Array<(r: TableReply) => void> = [];
  private readonly endWaiters = new Map<string, Array<(r: NarrationReport) => void>>();

  private constructor(readonly room: Room) {
    room.onMessage('narration:accepted', (m: { type: string; narrationId: string }) => this.waiting.shift()?.({ ok: true, ...m }));
    room.onMessage('narration:error', (m: { type: string; code?: string; message: string; narrationId?: string }) => {
      this.errors.push(m);
      // An error about a narration already accepted (`synthesis_failed`, `llm_failed`) answers no request.
      if (m.narrationId === undefined) this.waiting.shift()?.({ ok: false, ...m });
    });
    room.onMessage('narration:end', (r: NarrationReport) => {
      this.reports.set(r.id, r);
      for (const resolve of this.endWaiters.get(r.id) ?? []) resolve(r);
      this.endWaiters.delete(r.id);
    });
    room.onMessage('table:seat', (m: { role: 'dm' | 'player'; reason: string }) => this.seats.push(m));
    for (const type of ['narration:start', 'narration:status', 'narration:caption']) room.onMessage(type, () => undefined);
  }

  /** Creates a new room of type `roomName` (default `table`) and sits at it. */
  static async create(endpoint: string, options: TableJoinOptions, roomName = 'table'): Promise<TableClient> {
    return new TableClient(await new Client(endpoint).create(roomName, options));
  }

  /** Joins an existing room by id. */
  static async join(endpoint: string, roomId: string, options: TableJoinOptions): Promise<TableClient> {
    return new TableClient(await new Client(endpoint).joinById(roomId, options));
  }

  /** Wraps a room joined otherwise. */
  static of(room: Room): TableClient {
    return new TableClient(room);
  }

  get sessionId(): string {
    return this.room.sessionId;
  }

  /** Sends a narration command that the room answers with `narration:accepted` or `narration:error`. */
  request(command: NarrationCommand, payload?: unknown, timeoutMs = 10_000): Promise<TableReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to "narration:${command}" within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.room.send(`narration:${command}`, payload);
    });
  }

  /** Sends a narration command that gets no reply unless refused (deltas, end, cancel, pause, resume). */
  send(command: NarrationCommand, payload?: unknown): void {
    this.room.send(`narration:${command}`, payload);
  }

  /** Resolves with the narration's report when the room broadcasts its end. */
  waitForEnd(narrationId: string, timeoutMs = 30_000): Promise<NarrationReport> {
    const known = this.reports.get(narrationId);
    if (known) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`narration ${narrationId} did not end within ${timeoutMs} ms`)), timeoutMs);
      const list = this.endWaiters.get(narrationId) ?? [];
      list.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.endWaiters.set(narrationId, list);
    });
  }

  /** Resolves when the room state satisfies `predicate`. */
  waitForState(predicate: (state: any) => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate(this.room.state)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (state: any) => {
        if (!predicate(state)) return;
        clearTimeout(timer);
        this.room.onStateChange.remove(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.room.onStateChange.remove(check);
        reject(new Error(`room state did not reach the expected value within ${timeoutMs} ms`));
      }, timeoutMs);
      this.room.onStateChange(check);
    });
  }

  async leave(): Promise<void> {
    await this.room.leave(true).catch(() => undefined);
  }
}
