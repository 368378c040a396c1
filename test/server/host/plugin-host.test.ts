import 'reflect-metadata';
import { expect } from 'chai';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../../server/config/load-config.ts';
import { ConfigError } from '../../../server/config/config-error.ts';
import { buildContainer, mountPlugins } from '../../../server/host/plugin-host.ts';
import { TOKENS } from '../../../server/tokens.ts';
import type { AudioSinkFactory } from '../../../server/sinks/audio-sink.ts';
import type { TtsEngine } from '../../../server/synthesis/tts-engine.ts';
import type { ModelManager } from '../../../server/models/model-manager.ts';

const log = pino({ level: 'silent' });

function config(overrides: Record<string, unknown>) {
  return loadConfig({ env: {}, overrides }).config;
}

async function refusal(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the host to refuse the config');
}

const FIXTURE_PLUGINS = join(process.cwd(), 'test', 'fixtures', 'plugins');

describe('plugin host', () => {
  it('mounts the default plugins and binds the engine and the sinks', async () => {
    const container = await buildContainer(config({}), { log });
    const engines = container.getAll<TtsEngine>(TOKENS.TtsEngine);
    expect(engines.map((e) => e.name)).to.deep.equal(['espeak']);
    const sinks = container.getAll<AudioSinkFactory>(TOKENS.AudioSinkFactory).map((f) => f.name);
    expect(sinks).to.have.members(['wav', 'bridge', 'native', 'webrtc']);
    const models = container.get<ModelManager>(TOKENS.ModelManager);
    expect(models).to.equal(container.get(TOKENS.ModelManager)); // one per container
    expect(models.status()).to.deep.equal([]);
    await models.close();
  });

  it('accepts the example config shipped in config/, plugin options included', async () => {
    const { config: example } = loadConfig({ file: join(process.cwd(), 'config', 'narrator.example.json'), env: {} });
    const mounted = await mountPlugins(example);
    expect(mounted.map((m) => m.descriptor.name)).to.have.members(['tts-espeak', 'audio-native', 'audio-webrtc']);
  });

  it('swaps the engine and sinks by config alone', async () => {
    const c = config({ sinks: ['wav'], plugins: { 'tts-espeak': {} } });
    const container = await buildContainer(c, { log });
    expect(container.getAll<AudioSinkFactory>(TOKENS.AudioSinkFactory).map((f) => f.name)).to.deep.equal(['wav', 'bridge']);
  });

  it('refuses an unknown plugin, listing the available ones', async () => {
    const err = await refusal(mountPlugins(config({ plugins: { 'tts-espeak': {}, 'tts-magic': {} } })));
    expect(err.key).to.equal('plugins.tts-magic');
    expect(err.message).to.contain('unknown plugin').and.to.contain('tts-espeak').and.to.contain('audio-native');
  });

  it('refuses a bad plugin option, naming the key', async () => {
    const err = await refusal(mountPlugins(config({ plugins: { 'tts-espeak': { rate: 'fast' } } })));
    expect(err.message).to.contain('plugins.tts-espeak.rate');
  });

  it('refuses an unknown plugin option, naming it', async () => {
    const err = await refusal(mountPlugins(config({ plugins: { 'tts-espeak': {}, 'audio-native': { devise: 'x' } } })));
    expect(err.message).to.contain('plugins.audio-native').and.to.contain('devise');
  });

  it('refuses an engine no mounted plugin provides, listing the allowed ones', async () => {
    const err = await refusal(mountPlugins(config({ engine: 'xtts' })));
    expect(err.key).to.equal('engine');
    expect(err.message).to.contain('"xtts"').and.to.contain('espeak');
  });

  it('refuses a sink no mounted plugin provides', async () => {
    const err = await refusal(mountPlugins(config({ plugins: { 'tts-espeak': {} }, sinks: ['wav', 'native'] })));
    expect(err.key).to.equal('sinks.1');
    expect(err.message).to.contain('"native"').and.to.contain('allowed: wav');
  });

  it('refuses a plugin whose required plugin is not mounted', async () => {
    const err = await refusal(mountPlugins(config({ pluginDirs: [FIXTURE_PLUGINS], plugins: { 'needs-espeak': {}, 'audio-native': {} }, engine: 'espeak' })));
    expect(err.key).to.equal('plugins.needs-espeak');
    expect(err.message).to.contain('requires plugin "tts-espeak"');
  });
});
