import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleSdk, WEB_DIR } from './build.ts';

/** The part of an Express app (Express 5, as Colyseus's `express` hook hands it) this module uses. */
export interface ExpressLike {
  get(path: string, handler: (req: unknown, res: ResponseLike) => void): unknown;
}

/** The part of an Express response used here. */
export interface ResponseLike {
  set(field: string, value: string): unknown;
  send(body: string | Uint8Array | Buffer): unknown;
  json(body: unknown): unknown;
}

/** A rule as config `rules` holds it (server/config/schema.ts NarrationRuleSchema). */
export interface RuleLike {
  readonly template: string;
  readonly priority: 'interrupt' | 'queue';
  readonly players: boolean;
}

/** One configured game event, as `GET /rules` lists it for the demo page's buttons. */
export interface RuleInfo {
  /** Event type (`dice_roll`). */
  readonly type: string;
  readonly template: string;
  readonly priority: 'interrupt' | 'queue';
  /** Players (not only the DM) may send it. */
  readonly players: boolean;
  /** Template fields the sender fills, in template order; `players` is filled by the room and left out. */
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

/** The SDK bundle, built once per process (~1 s of esbuild) however many servers a process starts (tests). */
let bundled: ReturnType<typeof bundleSdk> | null = null;

/** The rules table as the demo page reads it, sorted by type. */
export function describeRules(rules: Readonly<Record<string, RuleLike>>): RuleInfo[] {
  return Object.keys(rules)
    .sort()
    .map((type) => {
      const rule = rules[type]!;
      const seen = new Set<string>();
      const fields: Array<{ name: string; optional: boolean }> = [];
      for (const m of rule.template.matchAll(PLACEHOLDER)) {
        const name = m[1]!;
        if (ROOM_FIELDS.has(name) || seen.has(name)) continue;
        seen.add(name);
        fields.push({ name, optional: m[2] === '?' });
      }
      return { type, template: rule.template, priority: rule.priority, players: rule.players, fields };
    });
}

/**
 * Serves the browser side from the game server: `GET /` the demo table page,
 * `GET /demo/app.js|style.css` its script and style, `GET /sdk/narration-client.js`
 * (+ `.map` and the lazily loaded `chunks/…`, e.g. livekit-client) the SDK bundled in
 * memory by esbuild at startup, and `GET /rules` the configured game events ({@link RuleInfo}[]).
 * @param options.rules the config's rules table (AppConfig `rules`)
 * @throws Error when the SDK does not bundle or a demo file is missing (at startup, not per request)
 */
export async function mountWebClient(app: ExpressLike, options: { rules: Readonly<Record<string, RuleLike>> }): Promise<void> {
  const [bundle, indexHtml, ...demo] = await Promise.all([
    (bundled ??= bundleSdk()),
    readFile(join(WEB_DIR, 'demo', 'index.html')),
    ...Object.keys(DEMO_FILES).map((name) => readFile(join(WEB_DIR, 'demo', name))),
  ]);
  const rules = describeRules(options.rules);

  const html = indexHtml!;
  app.get('/', (_req, res) => {
    res.set('Content-Type', 'text/html; charset=utf-8');
    res.set('Cache-Control', 'no-cache');
    res.send(html);
  });
  Object.entries(DEMO_FILES).forEach(([name, type], i) => {
    const body = demo[i]!;
    app.get(`/demo/${name}`, (_req, res) => {
      res.set('Content-Type', type);
      res.set('Cache-Control', 'no-cache');
      res.send(body);
    });
  });
  for (const file of bundle.values()) {
    const type = file.path.endsWith('.map') ? 'application/json' : file.path.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/plain; charset=utf-8';
    const body = Buffer.from(file.contents.buffer, file.contents.byteOffset, file.contents.byteLength);
    app.get(`/sdk/${file.path}`, (_req, res) => {
      res.set('Content-Type', type);
      // Chunk names carry a content hash; the entry and its map do not, so they are revalidated.
      res.set('Cache-Control', file.path.startsWith('chunks/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.send(body);
    });
  }
  app.get('/rules', (_req, res) => {
    res.json(rules);
  });
}
