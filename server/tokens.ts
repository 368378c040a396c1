/**
 * Service identifiers of the plugin host, one place for all of them
 * (the inversify 8 convention: `Symbol.for` keys survive module duplication
 * and worker threads, where each thread builds its own container).
 */
export const TOKENS = {
  /** The validated {@link AppConfig} (server/config/schema.ts). */
  Config: Symbol.for('vrpg/Config'),
  /** The process's root pino logger. */
  Logger: Symbol.for('vrpg/Logger'),
  /** Multi-bound {@link TtsEngine} implementations; config `engine` picks one by name. */
  TtsEngine: Symbol.for('vrpg/TtsEngine'),
  /** Multi-bound {@link AudioSinkFactory} implementations; config `sinks` picks them by name. */
  AudioSinkFactory: Symbol.for('vrpg/AudioSinkFactory'),
  /** The process's {@link ModelManager} (server/models): engines hold models and sessions through it. */
  ModelManager: Symbol.for('vrpg/ModelManager'),
  /** Optional {@link SynthesisPolicySource} (bound by plugins/gpu-tier); absent = the core default. */
  SynthesisPolicy: Symbol.for('vrpg/SynthesisPolicy'),
  /** Optional {@link SessionOptionsSource} (server/synthesis/session-options-source.ts; bound by plugins/gpu-tier). */
  SessionOptionsSource: Symbol.for('vrpg/SessionOptionsSource'),
  /** Multi-bound {@link RoomPluginFactory} (server/room/room-plugin-factory.ts): plugins' parts of each `table` room. */
  RoomPluginFactory: Symbol.for('vrpg/RoomPluginFactory'),
  /**
   * The prom-client `Registry` served at `GET /metrics` (server/observability/metrics.ts), bound by
   * createNarrator; plugins inject it `@optional()` to add their own metrics (plugins/tts-xtts pool).
   */
  MetricsRegistry: Symbol.for('vrpg/MetricsRegistry'),
  /** Optional {@link NarrationWriter} (server/event/narration-writer.ts; bound by plugins/llm-openai): narration written by a language model. */
  NarrationWriter: Symbol.for('vrpg/NarrationWriter'),
} as const;

/**
 * Identifier under which the host binds a plugin's validated options.
 * @param pluginName the plugin's folder name under plugins/, e.g. `tts-espeak`
 */
export function pluginOptionsToken(pluginName: string): symbol {
  return Symbol.for(`vrpg/plugin-options/${pluginName}`);
}
