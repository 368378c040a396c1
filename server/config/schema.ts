import { z } from 'zod';

/**
 * How a game event becomes narration: a template filled from the event's fields
 * and the room state, and what it does to narration already playing.
 * `{name}` placeholders take the event field `name`; `{players}` lists the
 * players at the table. `interrupt` cancels what is playing and queued
 * (e.g. combat starts); `queue` plays after it.
 */
/** A voice name as messages and rules carry it: `dm`, `npc:innkeeper`, `en-gb-x-rp`, `pt-br+f2`. */
export const VoiceName = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9:_+.-]*$/, 'voice: letters, digits and : _ + . -');

/**
 * A template's text: `{field}` / `{field?}` placeholders (server/event/narration-rules.ts); any other
 * brace — `{name`, `{}`, `{two words}` — is refused at startup, not spoken as a literal brace later.
 */
const TemplateSchema = z.string().min(1).superRefine((template, ctx) => {
  const rest = template.replace(/\{[a-zA-Z_][a-zA-Z0-9_]*\??\}/g, (m) => ' '.repeat(m.length));
  const at = rest.search(/[{}]/);
  if (at !== -1) {
    ctx.addIssue({
      code: 'custom',
      message: `malformed placeholder at character ${at + 1} ("${template.slice(Math.max(0, at - 8), at + 12)}"): placeholders are {field} or {field?}, letters, digits and _`,
    });
  }
});

/**
 * What one event field may hold (rule `fields`), so a sender cannot make the narrator say anything:
 * `{type: "integer" | "number", min?, max?}`, `{enum: [...]}` (one of these words), or text
 * `{maxChars?, pattern?}` (a JavaScript regular expression the whole value must match).
 */
export const FieldSpecSchema = z.union([
  z.object({ type: z.enum(['integer', 'number']), min: z.number().optional(), max: z.number().optional() }).strict(),
  z.object({ enum: z.array(z.string().min(1).max(100)).min(1).max(200) }).strict(),
  z
    .object({
      type: z.literal('text').optional(),
      maxChars: z.number().int().min(1).max(500).optional(),
      pattern: z.string().min(1).max(200).refine((p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      }, 'pattern: not a valid regular expression').optional(),
    })
    .strict(),
]);
export type FieldSpec = z.infer<typeof FieldSpecSchema>;

/** Fields a template may take from the room rather than the event (server/room/narration-room-plugin.ts). */
export const CONTEXT_FIELDS = ['players'] as const;

export const NarrationRuleSchema = z
  .object({
    /** The text to narrate; with `llm`, the fallback spoken when the language model fails or none is mounted. */
    template: TemplateSchema.optional(),
    /**
     * Narration written live by the language model (plugins/llm-openai, issue 14): `prompt` is filled
     * from the event's fields like a template and sent to the model; its streamed answer is narrated.
     */
    llm: z.object({ prompt: TemplateSchema.refine((p) => p.length <= 4000, 'prompt: at most 4000 characters') }).strict().optional(),
    priority: z.enum(['interrupt', 'queue']).default('queue'),
    /** Players (not only the DM) may send this event. */
    players: z.boolean().default(false),
    /** Engine voice for this event's narration (e.g. an NPC's cloned XTTS voice); unset = the room's. */
    voice: VoiceName.optional(),
    /**
     * What each field may hold; with `fields`, every placeholder must be declared here and values are
     * checked against it. Without, any string up to 500 characters, number or boolean.
     */
    fields: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), FieldSpecSchema).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.template === undefined && rule.llm === undefined) {
      ctx.addIssue({ code: 'custom', path: ['template'], message: 'a rule needs a template, an llm prompt, or both (the template is then the fallback)' });
    }
    if (!rule.fields) return;
    for (const [what, text] of [['template', rule.template], ['llm prompt', rule.llm?.prompt]] as const) {
      for (const m of (text ?? '').matchAll(/\{([a-zA-Z_][a-zA-Z0-9_]*)\??\}/g)) {
        const name = m[1]!;
        if (!Object.hasOwn(rule.fields, name) && !(CONTEXT_FIELDS as readonly string[]).includes(name)) {
          ctx.addIssue({ code: 'custom', path: ['fields'], message: `placeholder {${name}} of the ${what} is not declared in fields` });
        }
      }
    }
  });
export type NarrationRule = z.infer<typeof NarrationRuleSchema>;

/** A rules table: event type (lowercase letters, digits, `_`) → rule. */
export const NarrationRulesSchema = z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'event type: lowercase letters, digits, _'), NarrationRuleSchema);

/** The default rules table; a config file's `rules` replaces it whole. */
export const defaultRules: Record<string, z.input<typeof NarrationRuleSchema>> = {
  player_joined: { template: '{name} joins the table.', priority: 'queue', players: true, fields: { name: { maxChars: 40 } } },
  enter_location: { template: 'You enter {location}. {description?}', priority: 'queue', players: false },
  dice_roll: {
    template: '{name} rolls {dice} and gets {result}.', priority: 'queue', players: true,
    // Players send this one: dice notation and a number, not free text for the narrator to read out.
    fields: { name: { maxChars: 40 }, dice: { pattern: '^\\d{0,3}d\\d{1,4}([+-]\\d{1,4})?$' }, result: { type: 'integer', min: -1000, max: 100000 } },
  },
  combat_start: { template: 'Combat begins! {enemies} attack. Roll for initiative.', priority: 'interrupt', players: false },
  npc_says: { template: '{npc} says: {line}', priority: 'queue', players: false },
};

const PlayoutSchema = z
  .object({
    /** Pre-buffer before playback starts until an RTF is measured, ms (the seed's tiers: 750–2500 ms for XTTS). */
    prebufferMs: z.number().int().min(0).max(3000).default(250),
    /** FIFO size above which synthesis waits (back-pressure), ms. */
    maxBufferedMs: z.number().int().min(500).max(120_000).default(15_000),
    /**
     * Silence before a queued narration starts when another ended less than this ago, ms (also DM free
     * text after an event). Real silence frames: they are in the recording. A room idle longer starts at once.
     */
    gapMs: z.number().int().min(0).max(10_000).default(500),
    /** Silence after an interrupt's fade-out before the interrupting narration starts, ms (a breath). */
    interruptGapMs: z.number().int().min(0).max(10_000).default(150),
    /**
     * Sink worker threads for network sinks (`webrtc`: resample + Opus + RTP/SRTP; the LiveKit feed), fed
     * from the frame clock through shared memory (server/sinks/sink-worker-pool.ts). Absent: half the cores,
     * 1–4. `0`: those sinks run on the clock thread itself (the behaviour before; for comparison).
     */
    sinkWorkers: z.number().int().min(0).max(16).optional(),
    /**
     * Engines that can post audio straight from their worker threads to the playout thread do (issue 13:
     * a stalled game loop does not delay audio on its way to the FIFO). `false`: every block goes through
     * the main thread (the behaviour before; for comparison).
     */
    directAudio: z.boolean().default(true),
  })
  .strict();

const SeamsSchema = z
  .object({
    /**
     * Chunk seams sound like one reading: the engine's own leading/trailing silence is trimmed, each seam
     * gets the pause the engine makes at that punctuation (measured per engine and voice), and a chunk
     * that ends mid-sentence is synthesized with continuation intonation. Off: chunks are butted as synthesized.
     */
    enabled: z.boolean().default(true),
    /** A paragraph break's pause as a multiple of the measured sentence pause. */
    paragraphScale: z.number().min(1).max(5).default(2),
  })
  .strict();

const LoudnessSchema = z
  .object({
    /** Normalize every narration to `targetLufs` with a per-engine+voice gain and a true-peak limiter. */
    enabled: z.boolean().default(true),
    /** Integrated loudness target, LUFS (EBU R128 / ITU-R BS.1770; −16 is the usual spoken-word streaming target). */
    targetLufs: z.number().min(-40).max(-6).default(-16),
    /** True-peak ceiling, dBTP (EBU R128 s1 and streaming services: −1). */
    truePeakDbtp: z.number().min(-12).max(0).default(-1),
  })
  .strict();

const LimitsSchema = z
  .object({
    /** Longest narration text a message may carry, characters. */
    maxTextChars: z.number().int().min(1).max(1_000_000).default(20_000),
    /** Largest WebSocket message the server accepts, bytes; bigger ones close the socket. */
    maxPayloadBytes: z.number().int().min(4096).default(2 * 1024 * 1024),
    /** Narrations a room may have waiting behind the one playing. */
    maxQueuedNarrations: z.number().int().min(1).max(1000).default(32),
    /**
     * Messages one client may send the `table` room per second; the next one disconnects it (Colyseus
     * `maxMessagesPerSecond`, close code 4002). A DM typing or streaming deltas sends a few a second.
     */
    maxMessagesPerSecond: z.number().int().min(1).max(100_000).default(100),
    /** A streamed narration (`narrate_start`/`stream()`) with no delta for this long ends itself, ms; 0 = never. */
    streamIdleMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /**
     * Game events one player may send per minute (a token bucket: bursts up to this many, refilled
     * evenly); past it `narration:error` `rate_limited`. The DM is not limited. 0 = no limit.
     */
    playerEventsPerMinute: z.number().int().min(0).max(100_000).default(20),
    /**
     * Refused messages (`narration:error`, `audio:error`) answered per client per minute: a burst of
     * this many, then refilled evenly; the refusals past it are counted and not answered, so a client
     * that sends what the room refuses and never reads cannot make the server buffer its answers
     * (issue 11: +197 MB). 0 = refusals are never answered. server/room/error-budget.ts
     */
    errorRepliesPerMinute: z.number().int().min(0).max(100_000).default(30),
    /**
     * Refused messages one client may cause per minute (a burst of this many, refilled evenly) before
     * it is disconnected with close code 4429 "too many refused messages"; 0 = never disconnected.
     * Set it above `errorRepliesPerMinute`: a page with a bug loop is answered first, then silenced.
     */
    refusalsPerMinute: z.number().int().min(0).max(1_000_000).default(240),
    /** Game-bridge WebSocket connections at most (game-bridge/PROTOCOL.md); the next is closed with 4503. */
    maxBridgeClients: z.number().int().min(1).max(100_000).default(256),
    /**
     * Rooms one remote address may create a minute over HTTP matchmaking (`create`, `joinOrCreate`;
     * a token bucket: bursts up to this many, refilled evenly); past it HTTP 429. 0 = no limit.
     * server/room/room-creation-limit.ts
     */
    roomsPerMinutePerAddress: z.number().int().min(0).max(100_000).default(30),
  })
  .strict();

/** How long the `wav` sink's recordings (`recordingsDir/room-*.wav`) are kept; server/sinks/recording-retention.ts. */
const RecordingsRetentionSchema = z
  .object({
    /** Recordings last written longer ago than this are deleted, hours; 0 = kept whatever their age. */
    maxAgeHours: z.number().min(0).max(1_000_000).default(168),
    /** The folder's recordings are kept under this many MB (2^20 bytes) in all, the oldest deleted first; 0 = no limit. */
    maxTotalMB: z.number().min(0).max(100_000_000).default(2048),
  })
  .strict();

/** The `table` room's seats (server/room/seats.ts) and joins (README "Seats, reconnection and table codes"). */
const TableSchema = z
  .object({
    /**
     * How long a dropped seat (the DM's included) is kept for its owner to come back with the SDK's
     * reconnection token, ms (Colyseus `allowReconnection`); 0 = a drop is a leave.
     */
    reconnectWindowMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /**
     * A join code every `table` join must carry (`tableCode` join option), for a server whose room ids
     * may leak; unset = the creator of a table may set one for that table alone.
     */
    code: z.string().min(4).max(64).optional(),
  })
  .strict();

/** Config `redisUrl`: a `redis:` or `rediss:` URL with a host (ioredis reads anything else as a socket path or ignores it). */
const RedisUrlSchema = z.string().max(2000).refine((v) => {
  try {
    const url = new URL(v);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'must be a URL like redis://host:6379 (or rediss:// for TLS)');

/** Config `publicAddress`: `host[:port][/path]`, no scheme, query or fragment (the SDK builds `ws[s]://<publicAddress>/<processId>/<roomId>`). */
const PublicAddressSchema = z.string().max(500).refine((v) => {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /[?#\s]/.test(v)) return false;
  try {
    return new URL(`http://${v}`).hostname !== '';
  } catch {
    return false;
  }
}, 'must be host[:port][/path] without a scheme, e.g. narrator-2.example.com:2568');

/** SIGTERM's graceful drain (server/cli/serve-command.ts, README "Scaling out"). */
const ShutdownSchema = z
  .object({
    /**
     * How long narrations in flight may take to finish after SIGTERM before they are cancelled, ms.
     * Default 10 s: a long paragraph of narration; process managers wait about as long before SIGKILL
     * (systemd `TimeoutStopSec` 90 s, PM2 `kill_timeout` 1.6 s — raise it, README "Scaling out").
     */
    drainMs: z.number().int().min(0).max(600_000).default(10_000),
  })
  .strict();

/**
 * The application config: the JSON config file, validated, defaults filled.
 * Every key can be overridden by a `VRPG_*` environment variable (server/config/env.ts).
 */
export const AppConfigSchema = z
  .object({
    /** TCP port of the game server (HTTP + WebSocket). */
    port: z.number().int().min(0).max(65535).default(2567),
    /**
     * Address to listen on: `0.0.0.0` (every interface: phones on the LAN can join), a LAN address
     * (that network only), or `127.0.0.1` (this machine only).
     */
    host: z.string().min(1).default('0.0.0.0'),
    /**
     * Bearer token `GET /metrics` requires (`Authorization: Bearer <token>`); unset = /metrics answers
     * requests from this machine (loopback) only.
     */
    metricsToken: z.string().min(16).max(200).optional(),
    /** Plugins to mount: folder name under plugins/ → its options (validated by the plugin). */
    plugins: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .default({ 'tts-espeak': {}, 'audio-native': {}, 'audio-webrtc': {} }),
    /** Extra folders searched for plugins before plugins/ (tests mount fixtures this way). */
    pluginDirs: z.array(z.string()).default([]),
    /** TTS engine by name; a mounted plugin must provide it. */
    engine: z.string().min(1).default('espeak'),
    /** Narration language, ISO 639-1. */
    language: z.string().min(2).max(8).default('en'),
    /** Engine voice; unset = the engine's default for the language. */
    voice: z.string().min(1).optional(),
    /**
     * Sinks every room plays to, by name; `wav` and `bridge` are built in, others come from plugins (`native`: the host's
     * speakers; `webrtc`: remote players' browsers; `bridge`: game engines over game-bridge/PROTOCOL.md; the
     * last two cost nothing until someone listens).
     */
    sinks: z.array(z.string().min(1)).default(['native', 'wav', 'webrtc', 'bridge']),
    /** Folder of the per-room WAV recordings (`room-<roomId>.wav`). */
    recordingsDir: z.string().min(1).default('recordings'),
    /** Recordings pruned at start, every 10 minutes and when a room closes; never one being written. */
    recordingsRetention: RecordingsRetentionSchema.default(RecordingsRetentionSchema.parse({})),
    /**
     * The server is behind one reverse proxy that appends the client's address to `X-Forwarded-For`:
     * per-address limits count that address instead of the proxy's. Off: the header is ignored (a
     * client could write any address into it).
     */
    trustProxy: z.boolean().default(false),
    /** Only a join presenting this secret may take the DM seat (server/room/seats.ts); unset = the room's creator, or whoever asks while it is free. */
    dmSecret: z.string().min(1).optional(),
    /**
     * Redis shared by every process of one deployment (`redis://[user:pass@]host:port[/db]`, or `rediss://`
     * for TLS): Colyseus's Redis presence and matchmaking driver, so a client matchmaking through any
     * process lands on its room's own process (README "Scaling out"). Unset = this process alone.
     */
    redisUrl: RedisUrlSchema.optional(),
    /**
     * How clients reach this very process, `host[:port][/path]` without a scheme (Colyseus `publicAddress`;
     * the SDK prefixes ws:// or wss://): seat reservations for rooms it hosts send clients here.
     * Needed with `redisUrl` when clients cannot reach every process through the address they matchmake with.
     */
    publicAddress: PublicAddressSchema.optional(),
    shutdown: ShutdownSchema.default(ShutdownSchema.parse({})),
    table: TableSchema.default(TableSchema.parse({})),
    playout: PlayoutSchema.default(PlayoutSchema.parse({})),
    seams: SeamsSchema.default(SeamsSchema.parse({})),
    loudness: LoudnessSchema.default(LoudnessSchema.parse({})),
    limits: LimitsSchema.default(LimitsSchema.parse({})),
    rules: NarrationRulesSchema.default(() => NarrationRulesSchema.parse(defaultRules)),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

export type AppConfig = z.infer<typeof AppConfigSchema>;
export type AppConfigInput = z.input<typeof AppConfigSchema>;
