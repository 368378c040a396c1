import type { z } from 'zod';
import './websocket-global.ts';
import { access, mkdir } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { Logger } from 'pino';
import { matchMaker } from '@colyseus/core';
import { AppConfigSchema, NarrationRulesSchema, type NarrationRuleSchema, type AppConfig, type AppConfigInput } from '../config/schema.ts';
import { ConfigError, configErrorFromZod } from '../config/config-error.ts';
import { NarrationRules } from '../event/narration-rules.ts';
import type { NarrationWriter } from '../event/narration-writer.ts';
import { NarrationService, type RoomReport } from '../narration/narration-service.ts';
import { NarrationError } from '../narration/narration-error.ts';
import { RoomNarration } from '../narration/room-narration.ts';
import { NarrationMetrics } from '../observability/metrics.ts';
import { metricsRefusal } from '../observability/metrics-access.ts';
import { createLogger } from '../observability/log.ts';
import { ThreadedPlayout } from '../playout/threaded-playout.ts';
import { RecordingRetention } from '../sinks/recording-retention.ts';
import type { PlayoutThreadStats } from '../playout/playout-protocol.ts';
import type { ModelManager } from '../models/model-manager.ts';
import type { ModelProgressEvent } from '../models/model-spec.ts';
import { SynthesisScheduler } from '../synthesis/synthesis-scheduler.ts';
import { defaultSynthesisPolicy, fixedPolicySource, type SynthesisPolicySource } from '../synthesis/synthesis-policy.ts';
import type { TtsEngine } from '../synthesis/tts-engine.ts';
import { NarrationRoomPlugin, type NarrationPluginOptions, type NarrationRoomHost } from '../room/narration-room-plugin.ts';
import type { RoomPluginFactory } from '../room/room-plugin-factory.ts';
import type { ErrorBudgetOptions } from '../room/error-budget.ts';
import { mountWebClient, type ExpressLike } from '../../game-bridge/web/serve.ts';
import { TOKENS } from '../tokens.ts';
import { BridgeServer, type BridgeStats } from '../bridge/bridge-server.ts';
import { BridgeTokens, TOKEN_TTL_MS } from '../bridge/bridge-tokens.ts';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { buildContainer } from './plugin-host.ts';

/** The config `createNarrator` takes: the same schema as `serve --config` (server/config/schema.ts), defaults filled in. */
export type NarratorConfig = AppConfigInput;

/** A rules table as config `rules` holds it: event type → `{template, priority?, players?, voice?}`. */
export type NarrationRulesInput = Readonly<Record<string, z.input<typeof NarrationRuleSchema>>>;

/** Run-time options of {@link createNarrator} (what a config file cannot hold). */
export interface NarratorOptions {
  /** pino logger; default: JSON lines on stderr at config `log.level`. */
  readonly log?: Logger;
  /** Model-load progress of engines that load model files (XTTS: one event per file). */
  readonly onModelProgress?: (event: ModelProgressEvent) => void;
}

/** Options of {@link Narrator.roomPlugin}. */
export interface RoomPluginOptions extends NarrationPluginOptions {
  /** This room type's rules table (event type → template); default config `rules`. */
  readonly rules?: NarrationRulesInput;
}

/** Options of {@link Narrator.openRoom}. */
export interface OpenNarrationOptions {
  /** Where the `wav` sink records this room; default `recordingsDir/room-<roomId>.wav`. */
  readonly wavPath?: string;
  /** The room's sinks, a subset of config `sinks`; default all of them. */
  readonly sinks?: readonly string[];
  /** The room's rules table (validated like config `rules`), or rules already built; default config `rules`. */
  readonly rules?: NarrationRulesInput | NarrationRules;
}

/** The engine a narrator speaks with. */
export interface EngineInfo {
  readonly name: string;
  /** Hz; every frame and recording of the narrator is at this rate. */
  readonly sampleRate: number;
  readonly languages: readonly string[];
}

/**
 * The narration of one process: the mounted plugins (engine, sinks, GPU-tier policy), the engine
 * warm, one synthesis scheduler and one playout thread (FIFO → frame clock → sinks) shared by
 * every room of every room type. Made by {@link createNarrator}, the only way the narrator
 * boots (our `serve`, `say`, `demo` and bench use it as a game server does).
 *
 * Rooms get narration through {@link roomPlugin} (a Colyseus RoomPlugin) or, without Colyseus,
 * {@link openRoom}. {@link close} disposes everything.
 */
export class Narrator implements NarrationRoomHost {
  private closing: Promise<void> | null = null;
  private bridge: BridgeServer | null = null;
  private bridgePath = '';
  private readonly bridgeTokens = new BridgeTokens();
  private readonly rulesCache = new WeakMap<object, NarrationRules>();
  private readonly defaultRules: NarrationRules;

  /** @internal built by {@link createNarrator} */
  constructor(
    readonly config: AppConfig,
    readonly log: Logger,
    readonly metrics: NarrationMetrics,
    readonly roomPluginFactories: readonly RoomPluginFactory[],
    /** Time `createNarrator` took to ready (plugins mounted, engine warm, playout running), ms. */
    readonly startupMs: number,
    private readonly parts: {
      readonly engine: TtsEngine;
      readonly models: ModelManager;
      readonly playout: ThreadedPlayout;
      readonly policy: SynthesisPolicySource;
      readonly scheduler: SynthesisScheduler;
      readonly service: NarrationService;
      /** Config `recordingsRetention` over `recordingsDir`; null without the `wav` sink. */
      readonly retention: RecordingRetention | null;
      /** The mounted language model (plugins/llm-openai), or none. */
      readonly writer?: NarrationWriter;
    },
  ) {
    this.defaultRules = this.checkedRules(new NarrationRules(config.rules));
  }

  /** The configured engine (warm). */
  get engine(): EngineInfo {
    const { name, sampleRate, languages } = this.parts.engine;
    return { name, sampleRate, languages };
  }

  /** Config `limits.playerEventsPerMinute` (the room plugin's player event budget). */
  get playerEventsPerMinute(): number {
    return this.config.limits.playerEventsPerMinute;
  }

  /** Config `limits.errorRepliesPerMinute` and `limits.refusalsPerMinute` (the room plugin's per-client error budget). */
  get errorBudget(): ErrorBudgetOptions {
    const { errorRepliesPerMinute, refusalsPerMinute } = this.config.limits;
    return { repliesPerMinute: errorRepliesPerMinute, refusalsPerMinute };
  }

  /** Config `dmSecret` (the default seat policy's). */
  get dmSecret(): string | undefined {
    return this.config.dmSecret;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.closing !== null;
  }

  /** Rooms whose narration is open. */
  get roomCount(): number {
    return this.parts.service.roomCount;
  }

  /**
   * Narrations accepted and not yet played out (their last frame not yet handed to the sinks), queued
   * ones included, over every open room: 0 means a shutdown cuts nothing short (server/cluster/drain.ts).
   */
  get narrationsInFlight(): number {
    return this.parts.service.narrationsInFlight;
  }

  /**
   * A fresh narration plugin for one room: `plugins = definePlugins({ narration: narrator.roomPlugin() })`.
   * Colyseus builds `plugins` per room instance, so this runs once per room.
   * @throws ConfigError naming the key of a bad `rules` entry (`rules.attack.template`)
   */
  roomPlugin(options: RoomPluginOptions = {}): NarrationRoomPlugin {
    const { rules, ...pluginOptions } = options;
    if (pluginOptions.role !== undefined && typeof pluginOptions.role !== 'function') {
      throw new ConfigError('role', 'must be a function (client, joinOptions) => "dm" | "player"');
    }
    return new NarrationRoomPlugin(this, this.rulesOf(rules), pluginOptions);
  }

  /**
   * Opens a room's narration without Colyseus: its playout on the frame clock, its sinks and recording.
   * @throws NarrationError `closed` after {@link close}; ConfigError for a sink not in config `sinks`
   *   or bad rules; Error when the id is open already or a sink cannot start (all playout slots in use, a device)
   */
  async openRoom(roomId: string, options: OpenNarrationOptions = {}): Promise<RoomNarration> {
    const narration = this.roomNarration(roomId, options);
    await narration.open();
    return narration;
  }

  /**
   * A room's narration whose playout (a slot, the sinks, the recording) opens on its first use —
   * a narration, a stream, pause/resume, or `open()` — so a room nobody joins or narrates in costs
   * nothing (what the room plugin does: it opens on the first join or narration).
   * @throws NarrationError `closed` after {@link close}, `bad_request` for a bad id; ConfigError as {@link openRoom}
   */
  roomNarration(roomId: string, options: OpenNarrationOptions = {}): RoomNarration {
    if (this.closed) throw new NarrationError('closed', 'the narrator is closed');
    if (typeof roomId !== 'string' || roomId.length === 0 || roomId.length > 128) throw new NarrationError('bad_request', 'room id must be a string of 1–128 characters');
    for (const [i, sink] of (options.sinks ?? []).entries()) {
      if (!this.config.sinks.includes(sink)) throw new ConfigError(`sinks.${i}`, `"${sink}" is not one of config sinks: ${this.config.sinks.join(', ')}`);
    }
    const { service } = this.parts;
    return new RoomNarration(roomId, {
      rules: this.rulesOf(options.rules),
      maxChars: this.config.limits.maxTextChars,
      streamIdleMs: this.config.limits.streamIdleMs,
      maxQueued: this.config.limits.maxQueuedNarrations,
      log: this.log,
      writer: this.parts.writer,
      language: this.config.language,
      start: (listener) => {
        if (this.closed) throw new NarrationError('closed', 'the narrator is closed');
        return service.startRoom(roomId, listener, { wavPath: options.wavPath, sinks: options.sinks });
      },
      // A closed recording may take the folder over its retention.
      close: () => service.closeRoom(roomId).finally(() => void this.parts.retention?.prune()),
    });
  }

  /**
   * Serves the narrator's HTTP routes on an Express app (Colyseus's `express` hook):
   * `GET /metrics` (Prometheus), `GET /models` (model manager status), `GET /health`, and the
   * browser SDK at `/sdk/narration-client.js`; with `page: true` also the demo table page at `/`
   * and `GET /rules` (the configured game events).
   * @throws Error when the SDK bundle is missing (a checkout that was not built: `npm run build`)
   */
  async mountHttp(app: ExpressLike, options: { page?: boolean } = {}): Promise<void> {
    const { service, models, engine } = this.parts;
    await mountWebClient(app, { rules: this.config.rules, page: options.page ?? false });
    app.get('/metrics', async (req, res) => {
      const refused = metricsRefusal(req as IncomingMessage, this.config.metricsToken);
      if (refused) {
        res.status(refused.status).json({ error: refused.reason });
        return;
      }
      service.refreshGauges();
      this.metrics.bridgeConnections.set(this.bridge?.stats().connections ?? 0);
      this.metrics.rooms.set(matchMaker.stats.local.roomCount);
      res.set('Content-Type', this.metrics.registry.contentType);
      res.send(await this.metrics.registry.metrics());
    });
    app.get('/models', (_req, res) => res.json(models.status()));
    app.get('/health', (_req, res) => res.json({ ok: !this.closed, engine: engine.name, sampleRate: engine.sampleRate, rooms: service.roomCount }));
  }

  /**
   * Serves the game bridge (game-bridge/PROTOCOL.md: Godot and other engines, one WebSocket each,
   * seated in the same Colyseus rooms as SDK clients, audio as PCM frames) on the game server's
   * HTTP server, at `path`. Call it after the Colyseus server is created (its transport must have
   * attached to `http` first: `(server.transport as WebSocketTransport).server`). Needs the `bridge`
   * sink in config `sinks` for audio. The bridge closes with the narrator.
   * @param options.path URL path, default `/bridge`
   * @param options.joinTimeoutMs time a connection has to send `join`/`attach`, ms (default 10 000)
   * @throws Error when already attached, or after {@link close}
   */
  attachBridge(http: HttpServer, options: { path?: string; joinTimeoutMs?: number } = {}): void {
    if (this.closed) throw new NarrationError('closed', 'the narrator is closed');
    if (this.bridge) throw new Error('attachBridge: the bridge is already attached');
    const path = options.path ?? '/bridge';
    if (!/^\/[A-Za-z0-9._~\/-]*$/.test(path)) throw new ConfigError('bridge.path', `"${path}" is not a URL path (start with /)`);
    this.bridgePath = path;
    this.bridge = new BridgeServer({ path, maxClients: this.config.limits.maxBridgeClients, roomRate: this.parts.engine.sampleRate, tokens: this.bridgeTokens, log: this.log.child({ part: 'bridge' }),
      joinTimeoutMs: options.joinTimeoutMs, onFrameDropped: () => this.metrics.bridgeFramesDropped.inc() });
    this.bridge.listen(http);
  }

  /** Figures of the game bridge (connections, frames sent and dropped per connection), or null when not attached. */
  bridgeStats(): BridgeStats | null {
    return this.bridge?.stats() ?? null;
  }

  /** @internal the narration room plugin's `audio:join` `{ transport: "bridge" }` */
  bridgeGrant(roomId: string, sessionId: string): { token: string; path: string; expiresInMs: number } {
    if (!this.bridge) throw new Error('this server has no game bridge endpoint (narrator.attachBridge)');
    if (!this.config.sinks.includes('bridge')) throw new Error('this server does not stream to the bridge (add "bridge" to config sinks)');
    return { token: this.bridgeTokens.issue({ roomId, sessionId }), path: this.bridgePath, expiresInMs: TOKEN_TTL_MS };
  }

  /** Closes the game bridge's connections with 1001 "server shutting down" (their rooms see them leave); idempotent. */
  async closeBridge(): Promise<void> {
    await this.bridge?.close();
  }

  /** @internal the narration room plugin's onLeave */
  bridgeSeatLeft(roomId: string, sessionId: string): void {
    if (this.bridge) this.bridge.seatLeft(roomId, sessionId);
    else this.bridgeTokens.revoke(roomId, sessionId);
  }

  /**
   * Diagnostics of the playout thread: frames handed out, the frame clock's lateness and the cost of
   * one room's frame (ms) — what bounds how many rooms one process can narrate at once — and the
   * arrival latency of synthesized blocks (over the blocks after `blocksSince`, when given).
   */
  playoutStats(blocksSince?: number): Promise<PlayoutThreadStats> {
    return this.parts.playout.stats(blocksSince);
  }

  /**
   * Narration reports of the open rooms (report.json's `rooms`); a room's reports are released when it
   * closes, so read a narration's report from its `done` (or the room's `end` event) to keep it.
   */
  report(): { rooms: RoomReport[] } {
    return this.parts.service.report();
  }

  /**
   * Closes the game bridge's connections (1001), every room's narration (recordings finalized), the scheduler, the GPU policy's
   * monitors, the playout thread, the engine and its models. Idempotent. Rooms still open in
   * Colyseus refuse narration afterwards (`closed`).
   */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      const { service, scheduler, policy, playout, engine, models, retention } = this.parts;
      await this.bridge?.close();
      await retention?.close();
      await service.close();
      scheduler.close();
      await policy.close?.();
      await playout.close();
      await engine.close();
      await models.close();
      this.log.info('narrator closed');
    })());
  }

  /** Validated rules, cached per input object (roomPlugin runs once per room instance). */
  private rulesOf(input: NarrationRulesInput | NarrationRules | undefined): NarrationRules {
    if (input === undefined) return this.defaultRules;
    if (input instanceof NarrationRules) return input;
    const cached = this.rulesCache.get(input);
    if (cached) return cached;
    const parsed = NarrationRulesSchema.safeParse(input);
    if (!parsed.success) throw configErrorFromZod(parsed.error, 'rules');
    const rules = this.checkedRules(new NarrationRules(parsed.data));
    this.rulesCache.set(input, rules);
    return rules;
  }

  /** @throws ConfigError `rules.<type>.llm` for a rule with only a prompt when no language model is mounted */
  private checkedRules(rules: NarrationRules): NarrationRules {
    const type = this.parts.writer ? undefined : rules.llmOnlyEventTypes()[0];
    if (type) throw new ConfigError(`rules.${type}.llm`, 'needs a language model: mount plugins.llm-openai, or give the rule a template as well (the fallback)');
    return rules;
  }
}

/**
 * Boots the narrator: validates the config (same schema and errors as `serve --config`), mounts
 * the configured plugins, warms the engine, starts the playout thread and the synthesis scheduler.
 * What started is stopped again when a later step fails.
 * @throws ConfigError naming the key at fault (unknown key, bad value, unknown plugin, an engine or
 *   sink no mounted plugin provides, an npm package a configured plugin needs that is not installed)
 * @throws Error when the engine or the playout thread cannot start
 */
export async function createNarrator(config: NarratorConfig = {}, options: NarratorOptions = {}): Promise<Narrator> {
  const started = performance.now();
  const parsed = AppConfigSchema.safeParse(config);
  if (!parsed.success) throw configErrorFromZod(parsed.error, '');
  const cfg = parsed.data;
  if (cfg.sinks.includes('wav')) await checkRecordingsDir(cfg.recordingsDir);
  const log = options.log ?? createLogger(cfg.log.level);
  const container = await buildContainer(cfg, { log });
  // Before the engine resolves: plugins add their metrics (e.g. the XTTS pool's) to the registry /metrics serves.
  const metrics = new NarrationMetrics({ defaultMetrics: true });
  container.bind(TOKENS.MetricsRegistry).toConstantValue(metrics.registry);
  const models = container.get<ModelManager>(TOKENS.ModelManager);
  const undo: Array<() => unknown> = [() => models.close()];
  try {
    if (options.onModelProgress) models.on('progress', options.onModelProgress);
    const engine = await startEngine(container, cfg);
    undo.push(() => engine.close());
    const playout = await ThreadedPlayout.start({ config: cfg });
    undo.push(() => playout.close());
    // Engines that can post audio straight to the playout thread do, so it never waits on the game loop.
    if (cfg.playout.directAudio) engine.direct?.connect(() => playout.openSource());
    const policy = await policySourceOf(container, cfg);
    undo.push(() => policy.close?.());
    const scheduler = new SynthesisScheduler({ engine, policy, log });
    const service = new NarrationService(cfg, engine, playout, metrics, log, scheduler);
    undo.push(() => service.voices.close());
    await service.calibrateVoice();
    // The first narration after start must not pay for the audio path's first run.
    await service.warmUp();
    const retention = cfg.sinks.includes('wav') ? startRetention(cfg, service, log) : null;
    if (retention) {
      undo.push(() => retention.close());
      await retention.prune();
    }
    const factories = container.isBound(TOKENS.RoomPluginFactory) ? container.getAll<RoomPluginFactory>(TOKENS.RoomPluginFactory) : [];
    const writer = container.isBound(TOKENS.NarrationWriter) ? container.get<NarrationWriter>(TOKENS.NarrationWriter) : undefined;
    const startupMs = Math.round((performance.now() - started) * 10) / 10;
    log.info({ engine: engine.name, sampleRate: engine.sampleRate, sinks: cfg.sinks, startupMs }, 'narrator ready');
    return new Narrator(cfg, log, metrics, factories, startupMs, { engine, models, playout, policy, scheduler, service, retention, writer });
  } catch (err) {
    for (const step of undo.reverse()) await Promise.resolve().then(step).catch((e: unknown) => log.warn({ err: e }, 'cleanup after a failed start'));
    throw err;
  }
}

/** Config `recordingsRetention` over `recordingsDir`, sparing the recordings the service is writing. */
function startRetention(cfg: AppConfig, service: NarrationService, log: Logger): RecordingRetention {
  const { maxAgeHours, maxTotalMB } = cfg.recordingsRetention;
  const limits = { maxAgeMs: maxAgeHours * 3_600_000, maxTotalBytes: maxTotalMB * 1024 * 1024 };
  return new RecordingRetention(cfg.recordingsDir, limits, () => service.recordingsInUse(), log.child({ part: 'recordings' }));
}

/**
 * The `wav` sink's folder must exist (it is created) and be writable before any room opens:
 * otherwise every room's creation failed later with Colyseus's "seat reservation expired" while
 * the server called itself healthy.
 * @throws ConfigError `recordingsDir` naming the folder and the system's reason
 */
async function checkRecordingsDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, fsConstants.W_OK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError('recordingsDir', `cannot record to ${resolvePath(dir)}: ${e.code ?? ''} ${e.message.replace(/^[A-Z]+: /, '')} (choose a writable folder, or leave "wav" out of sinks)`.replace(/ {2,}/g, ' '));
  }
}

/**
 * Resolves the configured engine from the container and warms it.
 * @throws ConfigError when no mounted plugin bound an engine of that name, or it does not speak config `language`
 */
async function startEngine(container: { getAll<T>(id: symbol): T[] }, config: AppConfig): Promise<TtsEngine> {
  const engines = container.getAll<TtsEngine>(TOKENS.TtsEngine);
  const engine = engines.find((e) => e.name === config.engine);
  if (!engine) throw new ConfigError('engine', `"${config.engine}" is not bound; allowed: ${engines.map((e) => e.name).join(', ')}`);
  if (!engine.languages.includes(config.language)) {
    throw new ConfigError('language', `"${config.language}" is not spoken by engine ${engine.name}; allowed: ${engine.languages.join(', ')}`);
  }
  await engine.init();
  return engine;
}

/**
 * The synthesis policy: the one a mounted plugin (plugins/gpu-tier) bound under
 * `TOKENS.SynthesisPolicy`, initialized (hardware detected), else the core default with config `playout.prebufferMs`.
 * @throws Error from the plugin's init (e.g. an invalid `VRPG_XTTS_*` variable)
 */
async function policySourceOf(container: { isBound(id: symbol): boolean; get<T>(id: symbol): T }, config: AppConfig): Promise<SynthesisPolicySource> {
  if (!container.isBound(TOKENS.SynthesisPolicy)) return fixedPolicySource(defaultSynthesisPolicy(config.playout.prebufferMs));
  const source = container.get<SynthesisPolicySource>(TOKENS.SynthesisPolicy);
  await source.init?.();
  return source;
}
