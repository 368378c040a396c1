import { basename, dirname, resolve } from 'node:path';

/** Engine-selecting flags shared by `say` and `chunk`. */
export interface EngineFlags {
  engine?: string;
  /** XTTS server URL (mounts plugin tts-xtts with backend http). */
  xttsUrl?: string;
  /** Exported XTTS-v2 ONNX model folder (mounts plugin tts-xtts with backend onnx). */
  modelDir?: string;
  /** XTTS sampling seed (backend onnx). */
  seed?: number;
  /** Reference WAV to clone a voice from (3–30 s). */
  voiceWav?: string;
  /** Voice name: a configured voice, or the name given to `--voice-wav`. */
  voice?: string;
}

/** Default XTTS streaming-server address (coqui xtts-streaming-server's README runs it on 8000; users pass --xtts-url). */
const PLACEHOLDER_XTTS_URL = 'http://127.0.0.1:8000';

/**
 * Config overrides for the engine flags: `--engine` sets `engine`; for `xtts` the tts-xtts plugin is
 * mounted with `--model-dir` (backend `onnx`), else `--xtts-url` (or the configured url; a placeholder
 * when the engine is never started, as in `chunk`), and `--voice-wav` becomes a voice cloned by the backend.
 */
export function engineOverrides(flags: EngineFlags, configuredXtts: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (flags.engine) out.engine = flags.engine;
  const wantsXtts = flags.engine === 'xtts' || flags.xttsUrl !== undefined || flags.voiceWav !== undefined || flags.modelDir !== undefined;
  if (wantsXtts) {
    const options: Record<string, unknown> = { ...(configuredXtts ?? {}) };
    if (flags.modelDir !== undefined) {
      options.backend = 'onnx';
      options.modelDir = resolve(flags.modelDir);
    } else if (flags.xttsUrl !== undefined) {
      options.backend = 'http';
    }
    if (options.backend !== 'onnx') {
      // --xtts-url replaces a configured url or pool (`urls`; both at once is a config error); a configured pool stays otherwise.
      if (flags.xttsUrl !== undefined) delete options.urls;
      if (flags.xttsUrl !== undefined || options.urls === undefined) options.url = flags.xttsUrl ?? options.url ?? PLACEHOLDER_XTTS_URL;
    }
    if (flags.seed !== undefined) options.seed = flags.seed;
    if (flags.voiceWav) {
      const name = flags.voice ?? 'reference';
      const ref = resolve(flags.voiceWav);
      options.voicesDir = dirname(ref);
      options.voices = { ...((options.voices as Record<string, unknown>) ?? {}), [name]: { wav: basename(ref) } };
      options.defaultVoice = name;
    } else if (flags.voice) {
      options.defaultVoice = flags.voice;
    }
    out['plugins.tts-xtts'] = options;
    if (!flags.engine) out.engine = 'xtts';
  }
  return out;
}
