import { expect } from 'chai';
import { Container } from 'inversify';
import { pino } from 'pino';
import { TOKENS, pluginOptionsToken } from '../../../server/tokens.ts';
import defaultPlugin, { plugin, EspeakEngine } from '../../../plugins/tts-espeak/index.ts';
import { autoEspeakWorkers } from '../../../plugins/tts-espeak/options.ts';

describe('tts-espeak plugin descriptor', () => {
  it('names itself tts-espeak and provides the espeak engine', () => {
    expect(plugin.name).to.equal('tts-espeak');
    expect(plugin.provides.engines).to.deep.equal(['espeak']);
    expect(defaultPlugin).to.equal(plugin);
  });

  it('fills option defaults', () => {
    expect(plugin.optionsSchema.parse({})).to.deep.equal({ voices: {}, rate: 175, pitch: 50, workers: 'auto' });
  });

  it('sizes workers: auto from the cores, 1–4', () => {
    expect([1, 2, 3, 4, 16].map((cores) => autoEspeakWorkers(cores))).to.deep.equal([1, 2, 3, 4, 4]);
  });

  it('rejects an unknown option naming the key', () => {
    const result = plugin.optionsSchema.safeParse({ rat: 200 });
    expect(result.success).to.equal(false);
    expect(JSON.stringify(result.error!.issues)).to.match(/"rat"/);
  });

  it('rejects a voice for an unsupported language naming it', () => {
    const result = plugin.optionsSchema.safeParse({ voices: { tlh: 'klingon' } });
    expect(result.success).to.equal(false);
    expect(JSON.stringify(result.error!.issues)).to.match(/"tlh"/);
  });

  it('rejects out-of-range rate and workers naming the key', () => {
    for (const [key, value] of [['rate', 20], ['workers', 9], ['pitch', 101]] as const) {
      const result = plugin.optionsSchema.safeParse({ [key]: value });
      expect(result.success, key).to.equal(false);
      expect(result.error!.issues[0].path).to.deep.equal([key]);
    }
  });

  it('binds a singleton EspeakEngine under TtsEngine without starting a worker', async () => {
    const container = new Container();
    container.bind(pluginOptionsToken('tts-espeak')).toConstantValue(plugin.optionsSchema.parse({ voices: { pt: 'pt' } }));
    container.bind(TOKENS.Logger).toConstantValue(pino({ level: 'silent' }));
    await container.loadAsync(plugin.module);
    const engine = container.get<EspeakEngine>(TOKENS.TtsEngine);
    expect(engine).to.be.instanceOf(EspeakEngine);
    expect(container.get(TOKENS.TtsEngine)).to.equal(engine);
    expect(engine.status().spawned).to.equal(0);
    expect(engine.name).to.equal('espeak');
  });
});
