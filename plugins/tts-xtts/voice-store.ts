import { readFile, realpath, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { XttsVoiceConfig } from './options.ts';
import { readReferences, type ReferenceUpload } from './reference-wav.ts';
import { GPT_COND_LATENT_WIDTH, parseSpeakerLatents, type SpeakerLatents } from './speaker-latents.ts';

/** Computes latents for reference audio (the backend's `/clone_speaker`). */
export type SpeakerCloner = (upload: ReferenceUpload) => Promise<SpeakerLatents>;

/** Where a voice's latents came from at `load()`. */
export type LatentsSource = 'latents-file' | 'disk-cache' | 'cloned';

/**
 * The configured voices resolved to speaker latents: latents files are read, reference WAVs are
 * validated and cloned once, then cached in memory and on disk next to the first reference as
 * `<ref>.<sha256 of the references, 16 hex>.latents.json` (a changed reference gets a new file).
 * Paths are relative to `voicesDir` and, symlinks resolved, may not leave it.
 */
export class XttsVoiceStore {
  private readonly latents = new Map<string, SpeakerLatents>();
  private readonly sources = new Map<string, LatentsSource>();

  constructor(
    private readonly voicesDir: string,
    private readonly voices: Readonly<Record<string, XttsVoiceConfig>>,
    private readonly clone: SpeakerCloner,
    private readonly log: Logger,
    /** Row width of `gpt_cond_latent` the backend's model takes (1024 for XTTS-v2). */
    private readonly latentWidth: number = GPT_COND_LATENT_WIDTH,
    /**
     * Names the model in cache file names (`<ref>.<hash>.<tag>.latents.json`), since another model
     * (a server, or another export) computes other latents from the same reference; '' = none.
     */
    private readonly cacheTag: string = '',
  ) {}

  /** Configured voice names. */
  get names(): string[] {
    return Object.keys(this.voices);
  }

  /** Where each loaded voice's latents came from. */
  get loadedFrom(): ReadonlyMap<string, LatentsSource> {
    return this.sources;
  }

  /**
   * Resolves every configured voice (already resolved ones are kept).
   * @throws Error naming the voice: a path outside voicesDir, a missing or invalid file, a failed clone
   */
  async load(): Promise<void> {
    for (const [name, voice] of Object.entries(this.voices)) {
      if (this.latents.has(name)) continue;
      try {
        const { latents, source } = await this.resolveVoice(name, voice);
        this.latents.set(name, latents);
        this.sources.set(name, source);
        this.log.info({ voice: name, source }, 'XTTS voice ready');
      } catch (err) {
        throw new Error(`voice "${name}": ${(err as Error).message}`, { cause: err });
      }
    }
  }

  /**
   * Latents of a loaded voice.
   * @throws Error naming the voice and the configured ones when it is unknown or not loaded
   */
  get(name: string): SpeakerLatents {
    const found = this.latents.get(name);
    if (found) return found;
    throw new Error(`unknown XTTS voice "${name}"; configured: ${this.names.join(', ') || '(none: set plugins.tts-xtts.voices)'}`);
  }

  private async resolveVoice(name: string, voice: XttsVoiceConfig): Promise<{ latents: SpeakerLatents; source: LatentsSource }> {
    if ('latents' in voice) {
      const path = await this.inside(voice.latents);
      return { latents: parseSpeakerLatents(await readJson(path), path, this.latentWidth), source: 'latents-file' };
    }
    const paths = await Promise.all((Array.isArray(voice.wav) ? voice.wav : [voice.wav]).map((p) => this.inside(p)));
    const upload = await readReferences(paths);
    const cachePath = join(dirname(paths[0]), `${basename(paths[0])}.${upload.contentHash.slice(0, 16)}${this.cacheTag ? `.${this.cacheTag}` : ''}.latents.json`);
    const cached = await this.readCache(cachePath);
    if (cached) return { latents: cached, source: 'disk-cache' };
    const latents = await this.clone(upload);
    await this.writeCache(cachePath, latents, name);
    return { latents, source: 'cloned' };
  }

  /** Absolute real path of `p` (relative to voicesDir) after checking it stays inside voicesDir. */
  private async inside(p: string): Promise<string> {
    const dir = await realpath(resolve(this.voicesDir)).catch(() => {
      throw new Error(`voicesDir ${resolve(this.voicesDir)} does not exist`);
    });
    const abs = resolve(dir, p);
    const real = await realpath(abs).catch(() => {
      throw new Error(`file ${abs} does not exist`);
    });
    const rel = relative(dir, real);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new Error(`path "${p}" leaves voicesDir ${dir}`);
    return real;
  }

  private async readCache(path: string): Promise<SpeakerLatents | undefined> {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      return undefined;
    }
    try {
      return parseSpeakerLatents(json, path, this.latentWidth);
    } catch (err) {
      this.log.warn({ path, err: (err as Error).message }, 'XTTS latents cache file is invalid; cloning again');
      return undefined;
    }
  }

  private async writeCache(path: string, latents: SpeakerLatents, voice: string): Promise<void> {
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(latents));
      await rename(tmp, path);
    } catch (err) {
      // A read-only voices folder only costs a clone per start.
      this.log.warn({ voice, path, err: (err as Error).message }, 'cannot write XTTS latents cache');
    }
  }
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not JSON: ${(err as Error).message}`);
  }
}
