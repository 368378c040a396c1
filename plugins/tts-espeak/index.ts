import { ContainerModule } from 'inversify';
import { TOKENS } from '../../server/tokens.ts';
import type { PluginDescriptor } from '../../server/host/plugin.ts';
import { EspeakEngine } from './espeak-engine.ts';
import { espeakOptionsSchema, type EspeakOptions } from './options.ts';

export { EspeakEngine, ESPEAK_MAX_CHARS, type SynthesisReport, type EspeakStatus } from './espeak-engine.ts';
export { espeakOptionsSchema, type EspeakOptions, ESPEAK_LANGUAGES, DEFAULT_VOICES } from './options.ts';

/**
 * The `tts-espeak` plugin: engine `espeak`, espeak-ng compiled by Emscripten (a wasm2js build: plain JS)
 * (@echogarden/espeak-ng-emscripten, GPL-3: kept inside this folder and loaded only in its worker threads).
 * Options: see {@link espeakOptionsSchema}.
 */
export const plugin: PluginDescriptor<EspeakOptions> = {
  name: 'tts-espeak',
  description: 'Embedded espeak-ng TTS (Emscripten wasm2js, worker threads, 22 050 Hz; en, pt, es, fr, de, it)',
  optionsSchema: espeakOptionsSchema,
  provides: { engines: ['espeak'] },
  module: new ContainerModule(({ bind }) => {
    bind(TOKENS.TtsEngine).to(EspeakEngine).inSingletonScope();
  }),
};

export default plugin;
