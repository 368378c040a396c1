/**
 * Messages of the assembly thread (server/playout/assembly-worker.ts, issue 13): the stage between
 * synthesis and the FIFO — chunk order and shaping (NarrationAssembler, NarrationShaper) — on a
 * thread of its own, so neither the game loop nor the frame clock carries its work.
 *
 *   engine workers ──SourceMessage──▶ assembly thread ──AssembledMessage──▶ playout thread (FIFO)
 *   main thread ──ToAssembly (control; relayed blocks)──▶ assembly thread ──`shaped` events──▶ main
 */
import type { MessagePort } from 'node:worker_threads';
import type { BlockArrivalStats } from './block-arrivals.ts';
import type { PlayoutEvent, ShapingParams } from './playout.ts';
import type { SourceMessage } from './playout-protocol.ts';

/** Main → assembly thread. Requests carrying `id` get one reply. */
export type ToAssembly =
  /** The port to the playout thread (transferred), sent once at start. */
  | { type: 'link'; port: MessagePort }
  | { type: 'open'; roomId: string; sampleRate: number }
  | { type: 'close'; roomId: string }
  | { type: 'begin'; roomId: string; narrationId: string }
  | { type: 'shape'; roomId: string; narrationId: string; params: ShapingParams }
  | { type: 'end'; roomId: string; narrationId: string; chunks: number }
  | { type: 'cancel'; roomId: string; narrationIds: readonly string[] | null }
  /** A new engine-worker port (transferred) that posts {@link SourceMessage}s. */
  | { type: 'source'; port: MessagePort }
  | { type: 'stats'; id: number; blocksSince?: number }
  | SourceMessage;

/** Assembly thread → main. */
export type FromAssembly =
  | { type: 'ready' }
  | { type: 'reply'; id: number; blocks: BlockArrivalStats }
  | { type: 'event'; event: PlayoutEvent };

/** Assembly thread → playout thread, on the linked port: shaped audio in chunk order, and ends. */
export type AssembledMessage =
  /** Mono f32 in [-1, 1] at the room rate (transferred); `postedAtMs` = when it left the assembly thread, epoch ms. */
  | { type: 'push'; roomId: string; narrationId: string; chunkIndex: number; samples: Float32Array; postedAtMs: number }
  /** Every chunk of the narration is in: it may drain. */
  | { type: 'end-narration'; roomId: string; narrationId: string };
