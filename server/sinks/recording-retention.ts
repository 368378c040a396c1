import { lstat, readdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';

/** The `wav` sink's recordings in `recordingsDir` (NarrationService.wavPathOf); nothing else there is touched. */
const RECORDING = /^room-.+\.wav$/;

/** Options of {@link pruneRecordings}: config `recordingsRetention`, in base units. */
export interface RetentionLimits {
  /** Recordings last modified longer ago than this are deleted, ms; 0 = no age limit. */
  readonly maxAgeMs: number;
  /** The folder's recordings are kept under this many bytes in all, oldest deleted first; 0 = no limit. */
  readonly maxTotalBytes: number;
}

/** What one prune did. */
export interface PruneResult {
  /** Absolute paths deleted, oldest first. */
  readonly removed: string[];
  /** Bytes of recordings left in the folder, those being written included. */
  readonly keptBytes: number;
}

/**
 * Deletes recordings (`room-*.wav`, regular files only) in `dir`: first every one last modified
 * before `nowMs - maxAgeMs`, then the oldest until the rest fit in `maxTotalBytes`. A recording in
 * `inUse` (being written) is never deleted, though it counts toward the total. Issue 11: every room
 * recorded, and no file was ever deleted (179 MB per round of 300 unjoined rooms).
 * @param inUse absolute paths of the recordings being written
 * @param nowMs wall-clock now, epoch ms (file times are wall-clock)
 * @returns what was deleted and what is left; a file that vanished meanwhile is skipped
 * @throws Error when `dir` cannot be listed (other than not existing) or a file cannot be deleted
 */
export async function pruneRecordings(dir: string, limits: RetentionLimits, inUse: ReadonlySet<string>, nowMs: number = Date.now()): Promise<PruneResult> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => RECORDING.test(n));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { removed: [], keptBytes: 0 };
    throw err;
  }
  const files: Array<{ path: string; bytes: number; mtimeMs: number }> = [];
  for (const name of names) {
    const path = resolve(join(dir, name));
    const st = await lstat(path).catch(() => null);
    if (st?.isFile()) files.push({ path, bytes: st.size, mtimeMs: st.mtimeMs });
  }
  files.sort((a, b) => a.mtimeMs - b.mtimeMs);
  let total = files.reduce((n, f) => n + f.bytes, 0);
  const removed: string[] = [];
  for (const f of files) {
    if (inUse.has(f.path)) continue;
    const tooOld = limits.maxAgeMs > 0 && f.mtimeMs < nowMs - limits.maxAgeMs;
    const overTotal = limits.maxTotalBytes > 0 && total > limits.maxTotalBytes;
    if (!tooOld && !overTotal) continue;
    try {
      await unlink(f.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    total -= f.bytes;
    removed.push(f.path);
  }
  return { removed, keptBytes: total };
}

/** How often {@link RecordingRetention} prunes on its own, ms: a long session's files age while no room closes. */
export const RETENTION_INTERVAL_MS = 10 * 60_000;

/**
 * Keeps a recordings folder within its retention (config `recordingsRetention`): prunes on
 * {@link prune} (the narrator calls it at start and whenever a room's recording closes) and every
 * {@link RETENTION_INTERVAL_MS}. One prune runs at a time; asks that come meanwhile make one more.
 */
export class RecordingRetention {
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  /**
   * @param inUse the recordings being written now (absolute paths), read at each prune
   */
  constructor(
    private readonly dir: string,
    private readonly limits: RetentionLimits,
    private readonly inUse: () => ReadonlySet<string>,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => void this.prune(), RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  /** Prunes now (or once more after the prune running); nothing after {@link close}. Never rejects: a failure is logged. */
  prune(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          const { removed, keptBytes } = await pruneRecordings(this.dir, this.limits, this.inUse());
          if (removed.length > 0) this.log.info({ dir: this.dir, removed: removed.length, keptBytes }, 'recordings pruned');
        } catch (err) {
          this.log.warn({ dir: this.dir, err }, 'recordings prune failed');
        }
      } while (this.again);
    })().finally(() => (this.running = null));
    return this.running;
  }

  /** Stops pruning; waits for a prune in progress. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.again = false;
    await this.running;
  }
}
