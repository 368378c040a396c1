import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/**
 * The folder of this package (`vrpg-narrator`'s package.json): the checkout when running
 * from source, `node_modules/vrpg-narrator` in an installed copy. Files that ship outside
 * the compiled code (the browser SDK bundle, the demo page) are found from here, whether
 * the caller is `server/…` (source) or `dist/server/…` (compiled).
 * @throws Error when no ancestor of this module holds the package's package.json
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'vrpg-narrator') return (cached = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no vrpg-narrator package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
