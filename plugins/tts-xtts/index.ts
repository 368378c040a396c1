import { ContainerModule } from 'inversify';
import { TOKENS } from '../../server/tokens.ts';
import type { PluginDescriptor } from '../../server/host/plugin.ts';
import { XttsEngine } from './xtts-engine.ts';
import { xttsOptionsSchema, type XttsOptions } from './options.ts';

export { XttsEngine, defaultBackendFactory, type XttsBackendFactory, type XttsBackendDeps } from './xtts-engine.ts';
export { xttsOptionsSchema, xttsServerUrls, MAX_XTTS_SERVERS, XTTS_BACKENDS, XTTS_PROTOCOLS, type XttsOptions, type XttsVoiceConfig } from './options.ts';
export { XTTS_CHAR_LIMITS, XTTS_LANGUAGES, XTTS_SAMPLE_RATE, type XttsLanguage } from './languages.ts';
export type { XttsBackend, XttsSynthesisRequest } from './backend.ts';
export { XttsHttpBackend } from './xtts-http-backend.ts';
export { XttsServerPool, XttsServerError, XttsPoolDownError, type XttsPoolOptions } from './server-pool.ts';
export type { XttsServerStats } from './xtts-server.ts';
export { parseSpeakerLatents, type SpeakerLatents } from './speaker-latents.ts';
export { validateReferenceWav, REFERENCE_MIN_SECONDS, REFERENCE_MAX_SECONDS } from './reference-wav.ts';

/**
 * The `tts-xtts` plugin: engine `xtts`, XTTS-v2 (24 000 Hz, voice cloning, 16 languages) on a remote
 * XTTS server or a pool of them (`backend: "http"`, `url` / `urls`) or in this process on onnxruntime-node from an exported model folder
 * (`backend: "onnx"`, onnx/README.md). Options: see {@link xttsOptionsSchema}. Contains no model weights.
 */
export const plugin: PluginDescriptor<XttsOptions> = {
  name: 'tts-xtts',
  description: 'XTTS-v2 TTS on an XTTS server (xtts-streaming-server or OpenAI-style /v1/audio/speech) or in process on onnxruntime-node (24 000 Hz, voice cloning)',
  optionsSchema: xttsOptionsSchema,
  provides: { engines: ['xtts'] },
  // An optional peer dependency (≈290 MB with its CPU binaries), imported when the onnx backend starts.
  packages: (options) => (options.backend === 'onnx' ? ['onnxruntime-node'] : []),
  module: new ContainerModule(({ bind }) => {
    bind(TOKENS.TtsEngine).to(XttsEngine).inSingletonScope();
  }),
};

export default plugin;
