import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { Server, matchMaker } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import type { Logger } from 'pino';
import type { AppConfig } from './config/schema.ts';
import { ConfigError } from './config/config-error.ts';
import { buildContainer } from './host/plugin-host.ts';
import { TOKENS } from './tokens.ts';
import type { TtsEngine } from './synthesis/tts-engine.ts';
import { ThreadedPlayout } from './playout/threaded-playout.ts';
import { NarrationService } from './narration/narration-service.ts';
import { SynthesisScheduler } from './synthesis/synthesis-scheduler.ts';
import { defaultSynthesisPolicy, fixedPolicySource, type SynthesisPolicySource } from './synthesis/synthesis-policy.ts';
import { NarrationMetrics } from './observability/metrics.ts';
import type { ModelManager } from './models/model-manager.ts';
import { createTableRoom, TABLE_ROOM } from './room/table-room.ts';
import type { RoomPluginFactory } from './room/room-plugin-factory.ts';
import { mountWebClient } from '../game-bridge/web/serve.ts';

/** A running narrator: the Colyseus server, its narration service and how to stop both. */
export interface NarratorApp {
  readonly server: Server;
  readonly service: NarrationService;
  readonly metrics: NarrationMetrics;
  /** Port actually bound (config port 0 picks a free one). */
  readonly port: number;
  /** Disposes rooms (finalizing recordings), stops the playout thread and the engine, closes the port. */
  close(): Promise<void>;
}

/**
 * Resolves the configured engine from the container and warms it.
 * @throws ConfigError when no mounted plugin bound an engine of that name
 */
export async function startEngine(container: { getAll<T>(id: symbol): T[] }, config: AppConfig): Promise<TtsEngine> {
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
 * `TOKENS.SynthesisPolicy`, initialized (hardware detected), else the core default
 * with config `playout.prebufferMs`.
 * @throws Error from the plugin's init (e.g. an invalid `VRPG_XTTS_*` variable)
 */
export async function policySourceOf(
  container: { isBound(id: symbol): boolean; get<T>(id: symbol): T },
  config: AppConfig,
): Promise<SynthesisPolicySource> {
  if (!container.isBound(TOKENS.SynthesisPolicy)) return fixedPolicySource(defaultSynthesisPolicy(config.playout.prebufferMs));
  const source = container.get<SynthesisPolicySource>(TOKENS.SynthesisPolicy);
  await source.init?.();
  return source;
}

/**
 * Boots the whole narrator in this process: plugin host, engine (warm), playout
 * thread, and a Colyseus 0.18 server with the `table` room, listening on
 * `config.port` (HTTP matchmaking + WebSocket; `GET /metrics` for Prometheus).
 * @throws ConfigError when the config names something that cannot run
 */
export async function startApp(config: AppConfig, log: Logger): Promise<NarratorApp> {
  const container = await buildContainer(config, { log });
  const models = container.get<ModelManager>(TOKENS.ModelManager);
  const engine = await startEngine(container, config);
  const playout = await ThreadedPlayout.start({ config });
  const metrics = new NarrationMetrics({ defaultMetrics: true });
  const policy = await policySourceOf(container, config);
  const scheduler = new SynthesisScheduler({ engine, policy, log });
  const service = new NarrationService(config, engine, playout, metrics, log, scheduler);

  const server = new Server({
    transport: new WebSocketTransport({ maxPayload: config.limits.maxPayloadBytes }),
    gracefullyShutdown: false,
    greet: false,
    express: async (app) => {
      await mountWebClient(app, { rules: config.rules });
      app.get('/metrics', async (_req: unknown, res: any) => {
        service.refreshGauges();
        res.set('Content-Type', metrics.registry.contentType);
        res.end(await metrics.registry.metrics());
      });
      app.get('/models', (_req: unknown, res: any) => {
        res.json(models.status());
      });
      app.get('/health', (_req: unknown, res: any) => {
        res.json({ ok: true, engine: engine.name, sampleRate: engine.sampleRate });
      });
    },
  });
  const roomPlugins = container.isBound(TOKENS.RoomPluginFactory) ? container.getAll<RoomPluginFactory>(TOKENS.RoomPluginFactory) : [];
  server.define(TABLE_ROOM, createTableRoom(service, log, roomPlugins));
  await server.listen(config.port, config.host);
  const http = (server.transport as unknown as { server?: HttpServer }).server;
  const port = (http?.address() as AddressInfo | null)?.port ?? config.port;
  log.info({ port, engine: engine.name, sampleRate: engine.sampleRate, sinks: config.sinks }, 'narrator listening');

  let closed: Promise<void> | null = null;
  return {
    server,
    service,
    metrics,
    port,
    close: () =>
      (closed ??= (async () => {
        await Promise.allSettled(
          [...(await matchMaker.query({}))].map((r) => matchMaker.remoteRoomCall(r.roomId, 'disconnect').catch(() => undefined)),
        );
        await server.gracefullyShutdown(false).catch((err) => log.warn({ err }, 'colyseus shutdown'));
        await service.close();
        scheduler.close();
        await policy.close?.();
        await playout.close();
        await engine.close();
        await models.close();
      })()),
  };
}
