import 'reflect-metadata';
import { expect } from 'chai';
import { Container } from 'inversify';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { loadConfig } from '../../../server/config/load-config.ts';
import { ConfigError } from '../../../server/config/config-error.ts';
import { buildContainer } from '../../../server/host/plugin-host.ts';
import { TOKENS, pluginOptionsToken } from '../../../server/tokens.ts';
import type { TtsEngine } from '../../../server/synthesis/tts-engine.ts';
import defaultPlugin, { plugin, XttsEngine } from '../../../plugins/tts-xtts/index.ts';
import { MAX_XTTS_SERVERS, xttsServerUrls } from '../../../plugins/tts-xtts/options.ts';
import { XttsStandInServer } from '../../fixtures/xtts/stand-in-server.ts';

const log = pino({ level: 'silent' });
const URL_ = 'http://127.0.0.1:8020';

function issues(options: unknown): { path: string; message: string }[] {
  const r = plugin.optionsSchema.safeParse(options);
  expect(r.success, 'expected the options to be refused').to.equal(false);
  return r.error!.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('tts-xtts plugin descriptor', () => {
  it('names itself tts-xtts and provides the xtts engine', () => {
    expect(plugin.name).to.equal('tts-xtts');
    expect(plugin.provides.engines).to.deep.equal(['xtts']);
    expect(defaultPlugin).to.equal(plugin);
  });

  it('fills option defaults', () => {
    expect(plugin.optionsSchema.parse({ url: URL_ })).to.deep.equal({
      backend: 'http', url: URL_, protocol: 'xtts-streaming-server', language: 'en', voices: {}, voicesDir: 'voices',
      decoding: 'sample', sampling: { temperature: 0.75, topK: 50, topP: 0.85, repetitionPenalty: 10 },
      streamChunkSize: 20, speed: 1, model: 'xtts', responseFormat: 'pcm', timeoutMs: 15_000, retries: { count: 2, baseDelayMs: 250 },
      health: { backoffBaseMs: 1000, backoffMaxMs: 30_000 },
    });
  });

  it('takes a pool as urls, and refuses both url and urls, duplicates, too many servers, credentials and queries', () => {
    expect(xttsServerUrls(plugin.optionsSchema.parse({ urls: ['http://a:8000/', 'https://b:8000/xtts'] }))).to.deep.equal(['http://a:8000', 'https://b:8000/xtts']);
    expect(xttsServerUrls(plugin.optionsSchema.parse({ url: 'http://a:8000/' }))).to.deep.equal(['http://a:8000']);
    expect(issues({ url: URL_, urls: [URL_] })).to.deep.equal([{ path: 'urls', message: 'give either url (one server) or urls (a pool), not both' }]);
    expect(issues({ urls: [] })[0].path).to.equal('urls');
    expect(issues({ urls: ['http://a:8000', 'http://b:8000', 'http://a:8000/'] })).to.deep.equal([{ path: 'urls.2', message: 'http://a:8000 is listed twice (also urls[0])' }]);
    const many = Array.from({ length: MAX_XTTS_SERVERS + 1 }, (_, i) => `http://10.0.0.${i + 1}:8000`);
    expect(issues({ urls: many })[0]).to.deep.equal({ path: 'urls', message: `at most ${MAX_XTTS_SERVERS} servers` });
    expect(issues({ urls: [URL_, 'http://user:secret@b:8000'] })[0].path).to.equal('urls.1');
    expect(issues({ urls: [URL_, 'http://user:secret@b:8000'] })[0].message).to.contain('must not carry credentials');
    expect(issues({ url: 'http://b:8000/?api_key=secret' })[0].message).to.contain('must not carry a query');
    expect(issues({ urls: ['ftp://b'] })[0].path).to.equal('urls.0');
    expect(issues({ urls: [URL_], health: { backoffBaseMs: 5000, backoffMaxMs: 1000 } })[0].path).to.equal('health.backoffMaxMs');
  });

  it('requires modelDir (not url) for the onnx backend, and refuses the http-only protocol there', () => {
    expect(issues({ backend: 'onnx' })).to.deep.equal([{ path: 'modelDir', message: 'required for backend "onnx": the folder of the exported XTTS-v2 ONNX files' }]);
    expect(issues({ backend: 'onnx', modelDir: 'm', protocol: 'openai' }).map((i) => i.path)).to.deep.equal(['protocol']);
    expect(plugin.optionsSchema.parse({ backend: 'onnx', modelDir: 'm' }).url).to.equal(undefined);
  });

  it('refuses sampling values outside their ranges, naming the key', () => {
    expect(issues({ backend: 'onnx', modelDir: 'm', sampling: { temperature: 0 } })[0].path).to.equal('sampling.temperature');
    expect(issues({ backend: 'onnx', modelDir: 'm', sampling: { topP: 1.5 } })[0].path).to.equal('sampling.topP');
    expect(issues({ backend: 'onnx', modelDir: 'm', sampling: { repetitionPenalty: 0.5 } })[0].path).to.equal('sampling.repetitionPenalty');
    expect(issues({ backend: 'onnx', modelDir: 'm', decoding: 'beam' })[0].path).to.equal('decoding');
  });

  it('requires a valid http url for the http backend', () => {
    expect(issues({}).map((i) => i.path)).to.deep.equal(['url']);
    expect(issues({ url: 'ftp://x' }).map((i) => i.path)).to.deep.equal(['url']);
    expect(issues({ url: 'not a url' }).map((i) => i.path)).to.deep.equal(['url']);
  });

  it('refuses unknown keys, path-like voice names, a defaultVoice not configured, and cloned voices over openai', () => {
    expect(JSON.stringify(issues({ url: URL_, voice: 'dm' }))).to.contain('voice');
    expect(issues({ url: URL_, voices: { '../x': { wav: 'a.wav' } } })[0].path).to.equal('voices.../x');
    expect(issues({ url: URL_, voices: { dm: { wav: 'a.wav' } }, defaultVoice: 'bard' })[0]).to.deep.equal({ path: 'defaultVoice', message: '"bard" is not in voices; configured: dm' });
    expect(issues({ url: URL_, protocol: 'openai', voices: { dm: { wav: 'a.wav' } } })[0].path).to.equal('voices');
    expect(issues({ url: URL_, language: 'hi' })[0].path).to.equal('language');
  });

  it('binds a singleton XttsEngine under TtsEngine without contacting the server', async () => {
    const container = new Container();
    container.bind(pluginOptionsToken('tts-xtts')).toConstantValue(plugin.optionsSchema.parse({ url: URL_ }));
    container.bind(TOKENS.Logger).toConstantValue(log);
    await container.loadAsync(plugin.module);
    const engine = container.get<TtsEngine>(TOKENS.TtsEngine);
    expect(engine).to.be.instanceOf(XttsEngine);
    expect(container.get(TOKENS.TtsEngine)).to.equal(engine);
    expect(engine.name).to.equal('xtts');
  });

  describe('through the plugin host, with a stand-in XTTS server', () => {
    let server: XttsStandInServer;
    before(async () => (server = await XttsStandInServer.start()));
    after(async () => server.close());

    it('buildContainer with plugins.tts-xtts.url and engine xtts resolves a working engine', async () => {
      const { config } = loadConfig({ env: {}, overrides: { plugins: { 'tts-xtts': { url: server.url, protocol: 'openai' } }, engine: 'xtts', sinks: ['wav'] } });
      const container = await buildContainer(config, { log });
      const engine = container.getAll<TtsEngine>(TOKENS.TtsEngine).find((e) => e.name === config.engine)!;
      // The host imports the plugin by file URL; the class can be a second module instance, so compare by name.
      expect(engine.constructor.name).to.equal('XttsEngine');
      expect(engine.maxChars('ja')).to.equal(71);
      await engine.init();
      let samples = 0;
      for await (const b of engine.synthesize({ narrationId: 'n', index: 0, text: 'Hi.', language: 'en' }, undefined, new AbortController().signal)) samples += b.length;
      expect(samples).to.equal(server.behaviour.pcm.length);
      await engine.close();
    });

    it('puts the pool\'s per-server metrics on the registry bound under TOKENS.MetricsRegistry (the one /metrics serves)', async () => {
      const { config } = loadConfig({ env: {}, overrides: { plugins: { 'tts-xtts': { urls: [server.url], protocol: 'openai' } }, engine: 'xtts', sinks: ['wav'] } });
      const container = await buildContainer(config, { log });
      const registry = new Registry();
      container.bind(TOKENS.MetricsRegistry).toConstantValue(registry);
      const engine = container.getAll<TtsEngine>(TOKENS.TtsEngine).find((e) => e.name === config.engine)!;
      await engine.init();
      for await (const b of engine.synthesize({ narrationId: 'n', index: 0, text: 'Hi.', language: 'en' }, undefined, new AbortController().signal)) expect(b.length).to.be.greaterThan(0);
      const text = await registry.metrics();
      expect(text).to.contain(`vrpg_xtts_server_up{server="${server.url}"} 1`);
      expect(text).to.contain(`vrpg_xtts_server_requests_total{server="${server.url}"} 1`);
      expect(text).to.contain(`vrpg_xtts_server_ttfb_ms_count{server="${server.url}"} 1`);
      await engine.close();
    });

    it('refuses plugins.tts-xtts without a url as a ConfigError naming the key', async () => {
      const { config } = loadConfig({ env: {}, overrides: { plugins: { 'tts-xtts': {} }, engine: 'xtts', sinks: ['wav'] } });
      const err = await buildContainer(config, { log }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.contain('plugins.tts-xtts.url');
    });
  });
});
