import 'reflect-metadata';
import { expect } from 'chai';
import { Container } from 'inversify';
import { pino } from 'pino';
import plugin, { plugin as namedPlugin } from '../../../plugins/audio-native/index.ts';
import { PortAudioSinkFactory } from '../../../plugins/audio-native/port-audio-sink-factory.ts';
import { TOKENS, pluginOptionsToken } from '../../../server/tokens.ts';
import type { AudioSinkFactory } from '../../../server/sinks/audio-sink.ts';

describe('audio-native plugin descriptor', () => {
  it('is exported as plugin and default, named after its folder, providing the native sink', () => {
    expect(plugin).to.equal(namedPlugin);
    expect(plugin.name).to.equal('audio-native');
    expect(plugin.provides).to.deep.equal({ sinks: ['native'] });
  });

  it('validates options strictly with defaults', () => {
    expect(plugin.optionsSchema.parse({})).to.include({ device: 'default', framesPerBuffer: 512 });
    expect(plugin.optionsSchema.safeParse({ framesPerBuffer: 2048 }).success).to.equal(false);
  });

  it('binds one singleton native factory under TOKENS.AudioSinkFactory without loading PortAudio', () => {
    const container = new Container();
    container.bind(pluginOptionsToken('audio-native')).toConstantValue(plugin.optionsSchema.parse({}));
    container.bind(TOKENS.Logger).toConstantValue(pino({ level: 'silent' }));
    container.load(plugin.module);
    const factories = container.getAll<AudioSinkFactory>(TOKENS.AudioSinkFactory);
    expect(factories).to.have.length(1);
    expect(factories[0]).to.be.instanceOf(PortAudioSinkFactory);
    expect(factories[0]!.name).to.equal('native');
    expect(container.getAll(TOKENS.AudioSinkFactory)[0]).to.equal(factories[0]);
  });
});
