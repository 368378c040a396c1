import { ContainerModule } from 'inversify';
import type { PluginDescriptor } from '../../server/host/plugin.ts';
import { TOKENS } from '../../server/tokens.ts';
import { nativeAudioOptionsSchema, type NativeAudioOptions } from './options.ts';
import { PortAudioSinkFactory } from './port-audio-sink-factory.ts';

export { nativeAudioOptionsSchema, type NativeAudioOptions } from './options.ts';
export { PortAudioSinkFactory } from './port-audio-sink-factory.ts';
export { PortAudioSink, type PortAudioSinkStats } from './port-audio-sink.ts';
export {
  listOutputDevices,
  formatDeviceTable,
  resolveOutputDevice,
  OutputDeviceNotFoundError,
  type OutputDevice,
} from './output-devices.ts';

/**
 * `audio-native` plugin: the `native` sink, a room's narration on the host's
 * speakers through PortAudio (naudiodon). Options: see {@link nativeAudioOptionsSchema}.
 * Binds one {@link PortAudioSinkFactory} (singleton per container) under
 * `TOKENS.AudioSinkFactory`; nothing native loads until the playout thread creates a sink.
 */
export const plugin: PluginDescriptor<NativeAudioOptions> = {
  name: 'audio-native',
  description: 'Host speakers through PortAudio (naudiodon): sink `native`',
  optionsSchema: nativeAudioOptionsSchema,
  provides: { sinks: ['native'] },
  // An optional peer dependency: a native build against PortAudio, loaded at the first sink.
  packages: () => ['naudiodon'],
  module: new ContainerModule(({ bind }) => {
    bind(TOKENS.AudioSinkFactory).to(PortAudioSinkFactory).inSingletonScope();
  }),
  // Loads naudiodon on the calling thread: for the `devices` command, not for a running server.
  listOutputDevices: async () => (await import('./output-devices.ts')).listOutputDevices(),
};

export default plugin;
