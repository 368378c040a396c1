import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics, served at `GET /metrics`.
 * One registry per app instance so tests and the in-process demo can run several.
 * Buckets in ms follow the product targets (TTFA ≤ 150 ms embedded, 2.5–3.8 s XTTS per
 * the seed proposal; cancel ≤ 50 ms).
 */
export class NarrationMetrics {
  readonly registry = new Registry();
  readonly ttfaMs = new Histogram({
    name: 'vrpg_ttfa_ms',
    help: 'Time to first audio: event received to first frame handed to sinks, ms',
    buckets: [25, 50, 75, 100, 150, 250, 500, 1000, 2500, 4000, 8000],
    registers: [this.registry],
  });
  readonly rtf = new Histogram({
    name: 'vrpg_rtf',
    help: 'Real-time factor per chunk: synthesis time / audio duration',
    buckets: [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2],
    registers: [this.registry],
  });
  readonly underruns = new Counter({
    name: 'vrpg_underruns_total',
    help: 'FIFO ran dry mid-narration while synthesis was not finished',
    registers: [this.registry],
  });
  readonly cancelLatencyMs = new Histogram({
    name: 'vrpg_cancel_latency_ms',
    help: 'Cancel request to last frame of the narration handed to sinks, ms',
    buckets: [1, 2, 5, 10, 20, 30, 50, 100, 250],
    registers: [this.registry],
  });
  /**
   * The deepest room FIFO, not one series per room: /metrics is often scraped unauthenticated, and
   * room ids are join keys (issue 11: the page listed every room's id to anyone).
   */
  readonly fifoDepthMaxMs = new Gauge({
    name: 'vrpg_fifo_depth_max_ms',
    help: 'Audio queued and not yet played in the fullest room FIFO, ms',
    registers: [this.registry],
  });
  /**
   * Colyseus rooms this process hosts (Colyseus `matchMaker.stats.local.roomCount`), whatever their
   * narration does: behind Redis each process counts its own, and their sum is the deployment's.
   */
  readonly rooms = new Gauge({
    name: 'vrpg_rooms',
    help: 'Colyseus rooms hosted by this process',
    registers: [this.registry],
  });
  readonly roomsOpen = new Gauge({
    name: 'vrpg_rooms_open',
    help: 'Rooms whose narration is open',
    registers: [this.registry],
  });
  readonly roomsNarrating = new Gauge({
    name: 'vrpg_rooms_narrating',
    help: 'Rooms whose narration status is not idle',
    registers: [this.registry],
  });
  readonly bridgeConnections = new Gauge({
    name: 'vrpg_bridge_connections',
    help: 'Open game-bridge WebSocket connections (game-bridge/PROTOCOL.md)',
    registers: [this.registry],
  });
  readonly bridgeFramesDropped = new Counter({
    name: 'vrpg_bridge_frames_dropped_total',
    help: 'Audio frames not sent to a bridge client because it had more than 64 KiB unsent (a slow reader)',
    registers: [this.registry],
  });
  readonly narrations = new Counter({
    name: 'vrpg_narrations_total',
    help: 'Narrations finished, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
