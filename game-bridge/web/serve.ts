import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { packageRoot } from '../../server/host/package-root.ts';

/** The part of an Express app (Express 5, as Colyseus's `express` hook hands it) the narrator uses. */
export interface ExpressLike {
  get(path: string, handler: (req: unknown, res: ResponseLike) => unknown): unknown;
}

/** The part of an Express response used here. */
export interface ResponseLike {
  status(code: number): ResponseLike;
  set(field: string, value: string): unknown;
  send(body: string | Uint8Array | Buffer): unknown;
  json(body: unknown): unknown;
}

/** A rule as config `rules` holds it (server/config/schema.ts NarrationRuleSchema). */
export interface RuleLike {
  readonly template?: string;
  /** A language model writes the narration from this prompt (plugins/llm-openai); the template is then the fallback. */
  readonly llm?: { readonly prompt: string };
  readonly priority: 'interrupt' | 'queue';
  readonly players: boolean;
}

/** One configured game event, as `GET /rules` lists it for the demo page's buttons. */
export interface RuleInfo {
  /** Event type (`dice_roll`). */
  readonly type: string;
  /** The rule's template, or its `llm` prompt when it has no template. */
  readonly template: string;
  /** A language model writes this event's narration (rule `llm`). */
  readonly llm: boolean;
  readonly priority: 'interrupt' | 'queue';
  /** Players (not only the DM) may send it. */
  readonly players: boolean;
  /** Template and prompt fields the sender fills, in order; `players` is filled by the room and left out. */
  readonly fields: ReadonlyArray<{ readonly name: string; readonly optional: boolean }>;
}

/** Placeholders of a template, the same pattern server/event/narration-rules.ts fills. */
const PLACEHOLDER = /\{([a-zA-Z_][a-zA-Z0-9_]*)(\?)?\}/g;
/** Fields the room supplies itself (NarrationRoomPlugin passes `{ players }` as context). */
const ROOM_FIELDS = new Set(['players']);

/** Demo files served under `/demo/`, name → content type. */
const DEMO_FILES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** Where `npm run build` writes the SDK bundle (game-bridge/web/build.ts), relative to the package root. */
const SDK_DIST = join('game-bridge', 'web', 'dist');

/**
 * The SDK bundle's files (`narration-client.js`, its map, `chunks/…`), read once per process.
 * @throws Error naming the command to run when the bundle was never built
 */
async function readSdkBundle(): Promise<Map<string, Buffer>> {
  const dir = join(packageRoot(), SDK_DIST);
  if (!existsSync(join(dir, 'narration-client.js'))) {
    throw new Error(`the browser SDK bundle is missing (${join(dir, 'narration-client.js')}): run \`npm run build\``);
  }
  const files = new Map<string, Buffer>();
  for (const name of await readdir(dir, { recursive: true })) {
    if (!/\.(js|map|txt)$/.test(name)) continue;
    files.set(relative(dir, join(dir, name)).split('\\').join('/'), await readFile(join(dir, name)));
  }
  return files;
}
let bundle: Promise<Map<string, Buffer>> | null = null;

/** The rules table as the demo page reads it, sorted by type. */
export function describeRules(rules: Readonly<Record<string, RuleLike>>): RuleInfo[] {
  return Object.keys(rules)
    .sort()
    .map((type) => {
      const rule = rules[type]!;
      const seen = new Set<string>();
      const fields: Array<{ name: string; optional: boolean }> = [];
      for (const m of `${rule.template ?? ''} ${rule.llm?.prompt ?? ''}`.matchAll(PLACEHOLDER)) {
        const name = m[1]!;
        if (ROOM_FIELDS.has(name) || seen.has(name)) continue;
        seen.add(name);
        fields.push({ name, optional: m[2] === '?' });
      }
      return { type, template: rule.template ?? rule.llm?.prompt ?? '', llm: rule.llm !== undefined, priority: rule.priority, players: rule.players, fields };
    });
}

/**
 * Serves the browser side from the game server: `GET /sdk/narration-client.js` (+ `.map`, its
 * lazily loaded `chunks/…` such as livekit-client, and legal comments) — the bundle `npm run build`
 * wrote, the same file the package exports as `vrpg-narrator/client`; with `page`, also `GET /`
 * the demo table page, `GET /demo/app.js|style.css`, and `GET /rules` the configured game events ({@link RuleInfo}[]).
 * @param options.rules the config's rules table (AppConfig `rules`)
 * @throws Error when the bundle or a demo file is missing (at startup, not per request)
 */
export async function mountWebClient(app: ExpressLike, options: { rules: Readonly<Record<string, RuleLike>>; page: boolean }): Promise<void> {
  const files = await (bundle ??= readSdkBundle().catch((err: unknown) => {
    bundle = null;
    throw err;
  }));
  for (const [path, body] of files) {
    const type = path.endsWith('.map') ? 'application/json' : path.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/plain; charset=utf-8';
    app.get(`/sdk/${path}`, (_req, res) => {
      res.set('Content-Type', type);
      // Chunk names carry a content hash; the entry and its map do not, so they are revalidated.
      res.set('Cache-Control', path.startsWith('chunks/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.send(body);
    });
  }
  if (!options.page) return;
  const demoDir = join(packageRoot(), 'game-bridge', 'web', 'demo');
  const [html, ...demo] = await Promise.all([
    readFile(join(demoDir, 'index.html')),
    ...Object.keys(DEMO_FILES).map((name) => readFile(join(demoDir, name))),
  ]);
  app.get('/', (_req, res) => {
    res.set('Content-Type', 'text/html; charset=utf-8');
    res.set('Cache-Control', 'no-cache');
    res.send(html!);
  });
  Object.entries(DEMO_FILES).forEach(([name, type], i) => {
    const body = demo[i]!;
    app.get(`/demo/${name}`, (_req, res) => {
      res.set('Content-Type', type);
      res.set('Cache-Control', 'no-cache');
      res.send(body);
    });
  });
  const rules = describeRules(options.rules);
  app.get('/rules', (_req, res) => {
    res.json(rules);
  });
}
