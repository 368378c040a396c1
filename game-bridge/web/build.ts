import { build, type BuildOptions } from 'esbuild';
import { execFile } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Folder of the browser SDK (game-bridge/web). */
export const WEB_DIR = dirname(fileURLToPath(import.meta.url));
/** Entry of the SDK bundle. */
export const SDK_ENTRY = join(WEB_DIR, 'src', 'narration-client.ts');
/** Where `npm run build:web` writes the bundle and its declarations. */
export const DIST_DIR = join(WEB_DIR, 'dist');

/**
 * esbuild options of the SDK: one ESM entry for browsers (Chrome/Edge 90+, Firefox 90+,
 * Safari 15+, all with WebRTC stats and ES2020), everything bundled, code splitting so
 * `livekit-client` (imported dynamically in LiveKit mode) becomes its own chunk that
 * direct-mode pages never fetch, external source maps.
 */
export function sdkBuildOptions(outdir: string, minify: boolean): BuildOptions {
  return {
    entryPoints: { 'narration-client': SDK_ENTRY },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome90', 'edge90', 'firefox90', 'safari15'],
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    minify,
    outdir,
    logLevel: 'silent',
    legalComments: 'linked',
  };
}

/**
 * `npm run build:web` (part of `npm run build`): writes the bundle to game-bridge/web/dist — what
 * the package exports as `vrpg-narrator/client` and the server serves at `/sdk/` — and the `.d.ts`
 * declarations beside it (tsc with game-bridge/web/tsconfig.json). The declarations'
 * relative `.ts` imports become `.js` so consumers resolve them to the `.d.ts` files.
 * @throws Error when esbuild or tsc fails
 */
export async function buildDist(): Promise<string[]> {
  await rm(DIST_DIR, { recursive: true, force: true });
  await build({ ...sdkBuildOptions(DIST_DIR, true), write: true });
  const tsc = join(WEB_DIR, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', join(WEB_DIR, 'tsconfig.json')]);
  const written: string[] = [];
  for (const name of await readdir(DIST_DIR, { recursive: true })) {
    const path = join(DIST_DIR, name);
    if (name.endsWith('.d.ts')) {
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.replace(/(from\s+['"]\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1.js$2'));
    }
    if (/\.(js|d\.ts)$/.test(name)) written.push(relative(WEB_DIR, path));
  }
  return written.sort();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildDist().then(
    (files) => console.log(`built ${files.length} files:\n  ${files.join('\n  ')}`),
    (err: unknown) => {
      console.error('build:web failed:', (err as { stdout?: string }).stdout || (err as Error).message);
      process.exitCode = 1;
    },
  );
}
