import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { NarrationRules } from '../event/narration-rules.ts';
import type { NarrationWriter } from '../event/narration-writer.ts';
import type { PlayoutStatus } from '../playout/playout.ts';
import { nowMs } from '../threads/spawn-worker.ts';
import type { NarrationReport } from './narration.ts';
import { NarrationError, checkDeltaText, checkNarrationText } from './narration-error.ts';
import type { NarrationRequest, RoomNarrator, RoomNarratorListener } from './room-narrator.ts';
import { NarrationHistory } from './narration-history.ts';
import { writeNarration, type WriterProblem } from './written-narration.ts';

/** A narration that was accepted: its id now, its report when its last frame has played (or it was cancelled). */
export interface NarrationHandle {
  readonly id: string;
  /** Resolves with the report line (report.json's fields) once the narration ended; never rejects. */
  readonly done: Promise<NarrationReport>;
}

/** A narration fed text as it is produced (a language model's tokens, the DM typing). */
export interface NarrationStreamHandle extends NarrationHandle {
  /** Characters pushed so far. */
  readonly length: number;
  /**
   * Appends text; chunks go to synthesis as soon as the chunker finds a natural pause.
   * @throws NarrationError `text_too_long` past `limits.maxTextChars` in all, `bad_text`, `bad_request`,
   *   `no_stream` after {@link end}; the stream stays open on a refused delta
   */
  push(text: string): void;
  /** No more text: what is left becomes the last chunk. Idempotent. */
  end(): void;
}

/** Options of {@link RoomNarration.narrate} and {@link RoomNarration.stream}. */
export interface NarrateOptions {
  /** Engine voice (`npc:ogre`, an espeak voice name); default the room's. */
  readonly voice?: string;
  /** `queue` (default) plays after what is playing; `interrupt` cancels everything first. */
  readonly priority?: 'queue' | 'interrupt';
  /** What started it, for reports and metrics (≤ 64 characters); default `server:text` / `server:stream`. */
  readonly trigger?: string;
  /** When the request reached the server, epoch ms (`nowMs()`); TTFA counts from here. Default: now. */
  readonly receivedAtMs?: number;
}

/** Options of {@link RoomNarration.event}. */
export interface EventOptions {
  /** Whose request it is: `player` obeys the rules' `players` flag. Default `dm` (server code is trusted). */
  readonly as?: 'dm' | 'player';
  /** Fields the room fills that the event cannot override (`players`). */
  readonly context?: Readonly<Record<string, string>>;
  /** As in {@link NarrateOptions}. */
  readonly receivedAtMs?: number;
}

/** The chunk being heard: its narration, index and source text. */
export interface Caption {
  readonly narrationId: string;
  readonly index: number;
  readonly text: string;
}

/** Events of a room's narration, in the order a narration produces them. */
export interface RoomNarrationEvents {
  /** A narration was accepted (it plays after those before it). */
  start: { readonly narrationId: string; readonly trigger: string };
  /** The room's status changed (`idle`, `buffering`, `speaking`, `paused`). */
  status: PlayoutStatus;
  /** A chunk's first frame was handed to the sinks: captions follow the audio, not the synthesis. */
  caption: Caption;
  /** A narration's last frame was handed to the sinks, or it was cancelled. */
  end: NarrationReport;
  /** A language model failed or overran while writing a narration (issue 14); the narration goes on with what it had. */
  error: WriterProblem;
}

const TRIGGER = /^[\w:.-]{1,64}$/;

/**
 * One room's narration as game code and room plugins use it: narrate text, render game
 * events through the rules table, stream text, cancel, pause, resume, and listen to
 * start / status / caption / end. Every refusal is a {@link NarrationError} thrown before
 * anything changed, so the room and the narration already playing are untouched.
 *
 * Built by `Narrator.openRoom` over the room's {@link RoomNarrator} (text → chunks →
 * synthesis → the playout's FIFO); the narration room plugin exposes the same methods.
 *
 * The room's playout — a playout slot, its sinks, its recording — opens on the first narration,
 * stream, pause or resume, or on {@link open}; until then the room costs nothing (issue 11: 300
 * matchmaking requests nobody joined took all 256 slots and recorded silence). Listeners, `status`,
 * `caption` and `cancel` do not open it.
 */
export class RoomNarration {
  private readonly events = new EventEmitter();
  private statusValue: PlayoutStatus = 'idle';
  private captionValue: Caption | null = null;
  private narrator: RoomNarrator | null = null;
  /** The playout's open in progress or done (settles when its sinks run); null before the first use. */
  private opening: Promise<void> | null = null;
  private closedValue = false;
  /** The room's past narrations: context for its language model. */
  private readonly history = new NarrationHistory();

  /**
   * @param options.maxChars config `limits.maxTextChars`
   * @param options.maxQueued config `limits.maxQueuedNarrations` (players' events get all but {@link dmReserve} of it)
   * @param options.streamIdleMs config `limits.streamIdleMs`: a stream with no delta for this long ends itself (0/absent: never)
   * @param options.start opens the room's playout with these callbacks (the narration service's `startRoom`):
   *   the narrator at once, `ready` when the sinks run; throws when it cannot start (no slot, narrator closed)
   * @param options.close closes the room's playout (the narration service's `closeRoom`)
   * @param options.writer the mounted language model (plugins/llm-openai), or none
   * @param options.language config `language` (BCP 47), the language the writer is asked to write in (default `en`)
   */
  constructor(
    readonly roomId: string,
    private readonly options: {
      rules: NarrationRules; maxChars: number; maxQueued: number; streamIdleMs?: number; log: Logger; writer?: NarrationWriter; language?: string;
      start: (listener: RoomNarratorListener) => { narrator: RoomNarrator; ready: Promise<void> };
      close: () => Promise<void>;
    },
  ) {
    this.events.setMaxListeners(0);
  }

  /** Callbacks for the room's {@link RoomNarrator}. */
  private listener(): RoomNarratorListener {
    return {
      onStatus: (status) => {
        this.statusValue = status;
        this.emit('status', status);
      },
      onCaption: (narrationId, index, text) => {
        this.captionValue = { narrationId, index, text };
        this.emit('caption', this.captionValue);
      },
      onNarrationStart: (narrationId, trigger) => this.emit('start', { narrationId, trigger }),
      onNarrationEnd: (report) => {
        if (this.captionValue?.narrationId === report.id) this.captionValue = null;
        this.history.add(report);
        this.emit('end', report);
      },
    };
  }

  /**
   * Opens the room's playout (slot, sinks, recording) if nothing has yet, and waits until it runs.
   * A failed open leaves the room unopened: the next use tries again.
   * @throws NarrationError `closed` after {@link close} or when the narrator is closed; Error when no
   *   playout slot is free or a sink cannot start
   */
  async open(): Promise<void> {
    this.start();
    await this.opening;
  }

  /** Whether the room's playout is open or opening (a slot taken, the recording started). */
  get opened(): boolean {
    return this.narrator !== null && !this.narrator.isClosed;
  }

  /** `idle`, `buffering` (waiting for the pre-buffer), `speaking` or `paused`. */
  get status(): PlayoutStatus {
    return this.statusValue;
  }

  /** The chunk being heard, or null between narrations. */
  get caption(): Caption | null {
    return this.captionValue;
  }

  /** Whether the room's narration is closed (the room was disposed, or the narrator closed). */
  get closed(): boolean {
    return this.closedValue;
  }

  /**
   * Narrates `text`: split at natural pauses, synthesized chunk by chunk, played after what is queued.
   * @throws NarrationError `empty_text`, `text_too_long`, `bad_text`, `unknown_voice`, `queue_full`,
   *   `bad_request` (an option of the wrong type), `closed`
   */
  narrate(text: string, options: NarrateOptions = {}): NarrationHandle {
    const narrator = this.start();
    const request = this.request(options, 'server:text');
    checkNarrationText(text, this.options.maxChars);
    const n = narrator.narrate(text, request);
    return { id: n.id, done: n.done };
  }

  /**
   * Renders a game event with the rules table (`{type, ...fields}` → template text, priority, voice) and narrates it.
   * @throws NarrationError `unknown_event`, `bad_event` (a missing or bad field), `not_allowed` (`as: 'player'`
   *   and the rule is DM-only), `text_too_long`, `unknown_voice`, `queue_full`, `closed`
   */
  event(type: string, fields: Readonly<Record<string, unknown>> = {}, options: EventOptions = {}): NarrationHandle {
    const narrator = this.start();
    if (typeof type !== 'string' || type.length === 0 || type.length > 64) throw new NarrationError('bad_request', 'event type must be a string of 1–64 characters');
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw new NarrationError('bad_request', 'event fields must be an object');
    const receivedAtMs = options.receivedAtMs ?? nowMs();
    const as = options.as ?? 'dm';
    const rendered = this.options.rules.render({ ...fields, type }, as, options.context ?? {});
    if (as === 'player') {
      // Players' events may fill the queue only so far: the DM's own narrations always find room.
      const playersShare = this.options.maxQueued - dmReserve(this.options.maxQueued);
      if (narrator.pendingCount >= playersShare) {
        throw new NarrationError('queue_full', `too many narrations waiting (${narrator.pendingCount}) for a player's event; the last ${dmReserve(this.options.maxQueued)} places are the DM's`);
      }
    }
    const { text, prompt } = rendered;
    for (const [what, s] of [['narration', text], ['prompt', prompt]] as const) {
      if (s !== undefined && s.length > this.options.maxChars) {
        throw new NarrationError('text_too_long', `${what} of "${type}" is longer than ${this.options.maxChars} characters`);
      }
    }
    const request = { trigger: `event:${type}`, priority: rendered.priority, receivedAtMs, voice: rendered.voice };
    if (prompt !== undefined && this.options.writer) return this.write(narrator, prompt, request, text);
    // No language model mounted: a rule with a template narrates it (rules with only a prompt were refused at startup).
    if (text === undefined) throw new NarrationError('no_llm', `event "${type}" is narrated by a language model and none is mounted (plugins.llm-openai)`);
    const n = narrator.narrate(text, request);
    return { id: n.id, done: n.done };
  }

  /**
   * Narrates what the mounted language model writes for `prompt` (issue 14): its answer streams into
   * the chunker as it is written, so speech starts at its first safe pause. Cancel stops the model.
   * A model failure is reported on the `error` event (`llm_failed`) and in the narration's report;
   * what it wrote before stays spoken.
   * @param prompt 1–`limits.maxTextChars` characters
   * @throws NarrationError `no_llm` (no language model mounted), `bad_request`, `empty_text`,
   *   `text_too_long`, `bad_text` (the prompt), `unknown_voice`, `queue_full`, `closed`
   */
  generate(prompt: string, options: NarrateOptions = {}): NarrationHandle {
    const narrator = this.start();
    const request = this.request(options, 'server:llm');
    if (!this.options.writer) throw new NarrationError('no_llm', 'no language model is mounted (plugins.llm-openai)');
    const checked = checkNarrationText(prompt, this.options.maxChars, 'prompt');
    return this.write(narrator, checked, request);
  }

  private write(narrator: RoomNarrator, prompt: string, request: NarrationRequest, fallback?: string): NarrationHandle {
    const stream = narrator.stream(request);
    void writeNarration({
      writer: this.options.writer!, roomId: this.roomId, stream, prompt, fallback, history: this.history.list(), language: this.options.language ?? 'en',
      maxChars: this.options.maxChars, log: this.options.log, onProblem: (p) => this.emit('error', p),
    });
    return { id: stream.id, done: stream.narration.done };
  }

  /**
   * Starts a streamed narration: push text as it comes, then end it.
   * @throws NarrationError `unknown_voice`, `queue_full`, `bad_request`, `closed`
   */
  stream(options: NarrateOptions = {}): NarrationStreamHandle {
    const narrator = this.start();
    const s = narrator.stream(this.request(options, 'server:stream'));
    const maxChars = this.options.maxChars;
    let ended = false;
    // A stream nobody ends (a DM's tab closed, a model that hung) would hold the room `buffering`
    // forever: after `streamIdleMs` without a delta it ends itself, speaking what it has.
    const idleMs = this.options.streamIdleMs ?? 0;
    let idle: NodeJS.Timeout | undefined;
    const end = () => {
      ended = true;
      clearTimeout(idle);
      s.end();
    };
    const arm = () => {
      if (idleMs <= 0) return;
      clearTimeout(idle);
      idle = setTimeout(() => {
        if (ended) return;
        this.options.log.warn({ roomId: this.roomId, narrationId: s.id, idleMs }, 'stream received no text for limits.streamIdleMs: ended');
        end();
      }, idleMs);
      idle.unref();
    };
    arm();
    s.narration.done.finally(() => clearTimeout(idle)).catch(() => undefined);
    return {
      id: s.id,
      done: s.narration.done,
      get length() {
        return s.length;
      },
      push: (text: string) => {
        if (ended) throw new NarrationError('no_stream', 'the stream has ended');
        s.push(checkDeltaText(text, s.length, maxChars));
        arm();
      },
      end,
    };
  }

  /**
   * Cancels narrations: their audio fades out within a frame and their queued audio and synthesis are dropped.
   * @param ids narrations to cancel; omitted = everything playing and queued in this room
   * @returns the ids cancelled (unknown or finished ids are skipped)
   * @throws NarrationError `closed`
   */
  cancel(ids?: readonly string[], receivedAtMs: number = nowMs()): string[] {
    if (this.closedValue) throw new NarrationError('closed', `the narration of room ${this.roomId} is closed`);
    // Nothing was ever narrated here: nothing to cancel, and no reason to open the playout.
    return this.narrator ? this.started().cancel(receivedAtMs, ids) : [];
  }

  /** Holds playback with a short fade (frames go on as silence). @throws NarrationError `closed`; Error as {@link open} */
  pause(): void {
    this.start().pause();
  }

  /** Continues after {@link pause}. @throws NarrationError `closed`; Error as {@link open} */
  resume(): void {
    this.start().resume();
  }

  /**
   * Subscribes to an event. A listener that throws is logged and does not stop the others.
   * @returns the unsubscribe function
   */
  on<K extends keyof RoomNarrationEvents>(event: K, listener: (payload: RoomNarrationEvents[K]) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  /** Cancels the room's narrations and closes its playout (recording finalized), if it was opened. Idempotent. */
  async close(): Promise<void> {
    this.closedValue = true;
    if (this.narrator) await this.options.close();
  }

  /**
   * The room's narrator, opening the playout on first use.
   * @throws NarrationError `closed`; Error from `options.start` (no playout slot free)
   */
  private start(): RoomNarrator {
    if (this.closedValue) throw new NarrationError('closed', `the narration of room ${this.roomId} is closed`);
    if (this.narrator && !this.narrator.isClosed) return this.narrator;
    const { narrator, ready } = this.options.start(this.listener());
    this.narrator = narrator;
    this.opening = ready.catch((err: unknown) => {
      // The sinks could not start: the service closed the narrator; the next use tries again.
      if (this.narrator === narrator) this.narrator = null;
      throw err;
    });
    this.opening.catch(() => undefined); // whoever awaits open() sees the error; a narration's caller sees its `done`
    return narrator;
  }

  /** The narrator of an open room. @throws NarrationError `closed` */
  private started(): RoomNarrator {
    const narrator = this.narrator;
    if (this.closedValue || !narrator || narrator.isClosed) throw new NarrationError('closed', `the narration of room ${this.roomId} is closed`);
    return narrator;
  }

  private request(options: NarrateOptions, defaultTrigger: string): NarrationRequest {
    if (typeof options !== 'object' || options === null) throw new NarrationError('bad_request', 'options must be an object');
    const { voice, priority = 'queue', trigger = defaultTrigger, receivedAtMs = nowMs() } = options;
    if (voice !== undefined && (typeof voice !== 'string' || voice.length === 0 || voice.length > 64)) {
      throw new NarrationError('bad_request', 'voice must be a string of 1–64 characters');
    }
    if (priority !== 'queue' && priority !== 'interrupt') throw new NarrationError('bad_request', `priority must be "queue" or "interrupt", got ${JSON.stringify(priority)}`);
    if (typeof trigger !== 'string' || !TRIGGER.test(trigger)) throw new NarrationError('bad_request', 'trigger must be 1–64 letters, digits or : . _ -');
    if (typeof receivedAtMs !== 'number' || !Number.isFinite(receivedAtMs)) throw new NarrationError('bad_request', 'receivedAtMs must be a finite epoch ms');
    return { trigger, priority, receivedAtMs, voice };
  }

  private emit<K extends keyof RoomNarrationEvents>(event: K, payload: RoomNarrationEvents[K]): void {
    for (const listener of this.events.listeners(event)) {
      try {
        (listener as (p: RoomNarrationEvents[K]) => void)(payload);
      } catch (err) {
        this.options.log.error({ roomId: this.roomId, event, err }, 'narration listener failed');
      }
    }
  }
}

/**
 * Places of the room's narration queue that players' events may not take, so the DM's own
 * narrations always find room: a quarter, at least one (issue 11: 33 accepted player events used to
 * refuse the DM's `narrate`).
 * @param maxQueued config `limits.maxQueuedNarrations`
 */
export function dmReserve(maxQueued: number): number {
  return Math.max(1, Math.floor(maxQueued / 4));
}
