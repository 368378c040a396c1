import { expect } from 'chai';
import { concatF32 } from '../../../server/audio/pcm.ts';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { XttsEngine } from '../../../plugins/tts-xtts/xtts-engine.ts';
import { xttsOptionsSchema } from '../../../plugins/tts-xtts/options.ts';
import type { TtsChunk } from '../../../server/synthesis/tts-engine.ts';
import { SemanticChunker } from '../../../server/text/semantic-chunker.ts';
import { XttsStandInServer, standInLatents, testPcm, type RecordedRequest } from '../../fixtures/xtts/stand-in-server.ts';
import { writeToneWav } from '../../fixtures/xtts/tone-wav.ts';

const log = pino({ level: 'silent' });

function chunk(text = 'The door creaks open.', language = 'en', index = 0): TtsChunk {
  return { narrationId: 'n1', index, text, language };
}

async function collect(iter: AsyncIterable<Float32Array>): Promise<Float32Array> {
  const blocks: Float32Array[] = [];
  for await (const b of iter) blocks.push(b);
  return concatF32(blocks);
}


function expectPcm(got: Float32Array, pcm: Int16Array): void {
  expect(got.length, 'sample count').to.equal(pcm.length);
  for (let i = 0; i < pcm.length; i++) if (Math.abs(got[i] - pcm[i] / 32768) > 1e-6) expect.fail(`sample ${i}: got ${got[i]}, sent ${pcm[i]}`);
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms))]);
}

describe('XttsEngine against a stand-in XTTS server (loopback)', () => {
  let server: XttsStandInServer;
  let dir: string;
  const engines: XttsEngine[] = [];

  function engine(options: Record<string, unknown> = {}): XttsEngine {
    const e = new XttsEngine(
      xttsOptionsSchema.parse({ url: server.url, voicesDir: dir, voices: { dm: { wav: 'ref.wav' } }, retries: { count: 2, baseDelayMs: 1 }, ...options }),
      log,
    );
    engines.push(e);
    return e;
  }

  async function ready(options: Record<string, unknown> = {}): Promise<XttsEngine> {
    const e = engine(options);
    await e.init();
    return e;
  }

  const ttsRequests = (): RecordedRequest[] => server.requestsTo('/tts_stream');

  beforeEach(async () => {
    server = await XttsStandInServer.start();
    dir = mkdtempSync(join(tmpdir(), 'xtts-voices-'));
    writeToneWav(dir, 'ref.wav', 4);
  });

  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('coqui xtts-streaming-server protocol', () => {
    it('clones the reference at init and streams the exact PCM across odd write boundaries', async () => {
      const e = await ready();
      const clone = server.requestsTo('/clone_speaker');
      expect(clone).to.have.length(1);
      expect(clone[0].parts?.map((p) => [p.name, p.fileName])).to.deep.equal([['wav_file', 'ref.wav']]);
      expect(clone[0].parts![0].data.subarray(0, 4).toString()).to.equal('RIFF');

      server.behaviour.writeSizes = [333, 1, 7, 2];
      expectPcm(await collect(e.synthesize(chunk('Hello there.', 'zh'), undefined, new AbortController().signal)), server.behaviour.pcm);
      const body = ttsRequests()[0].json!;
      expect(body).to.include({ text: 'Hello there.', language: 'zh-cn', add_wav_header: false, stream_chunk_size: '20' });
      expect(body.gpt_cond_latent).to.deep.equal(standInLatents().gpt_cond_latent);
      expect(body.speaker_embedding).to.deep.equal(standInLatents().speaker_embedding);
    });

    it('strips the 44-byte WAV header the server puts before the PCM', async () => {
      const e = await ready();
      server.behaviour.header = 'always';
      server.behaviour.writeSizes = [45, 3, 4001];
      expectPcm(await collect(e.synthesize(chunk(), 'dm', new AbortController().signal)), server.behaviour.pcm);
    });

    it('yields the first block before the response ends', async () => {
      const e = await ready();
      let release!: () => void;
      server.behaviour.holdAfterFirstWrite = new Promise<void>((r) => (release = r));
      server.behaviour.writeSizes = [4800];
      let finished = false;
      const it = e.synthesize(chunk(), undefined, new AbortController().signal)[Symbol.asyncIterator]();
      const first = await within(it.next(), 5000, 'first block');
      const firstBlockAt = performance.now();
      const rec = ttsRequests()[0];
      void rec.closed.then(() => (finished = true));
      expect(first.done).to.equal(false);
      expect(first.value.length).to.equal(2400);
      expect(finished, 'response still open').to.equal(false);
      expect(firstBlockAt).to.be.greaterThanOrEqual(rec.firstByteAt!);
      release();
      const rest: Float32Array[] = [first.value];
      for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
      expectPcm(concatF32(rest), server.behaviour.pcm);
    });

    it('aborting mid-stream rejects with AbortError and closes the request', async () => {
      const e = await ready();
      server.behaviour.holdAfterFirstWrite = new Promise<void>(() => undefined); // never sends the rest
      const ctl = new AbortController();
      const it = e.synthesize(chunk(), undefined, ctl.signal)[Symbol.asyncIterator]();
      await within(it.next(), 5000, 'first block');
      const pending = it.next();
      ctl.abort();
      const err = await rejection(pending);
      expect(err.name).to.equal('AbortError');
      const rec = ttsRequests()[0];
      await within(rec.closed, 5000, 'server seeing the request close');
      expect(rec.closedEarly).to.equal(true);
    });

    it('leaving the loop early also closes the request', async () => {
      const e = await ready();
      server.behaviour.holdAfterFirstWrite = new Promise<void>(() => undefined);
      for await (const block of e.synthesize(chunk(), undefined, new AbortController().signal)) {
        expect(block.length).to.be.greaterThan(0);
        break;
      }
      const rec = ttsRequests()[0];
      await within(rec.closed, 5000, 'server seeing the request close');
      expect(rec.closedEarly).to.equal(true);
    });

    it('retries connection resets, 5xx and 429 before the first byte, then streams', async () => {
      const e = await ready({ retries: { count: 3, baseDelayMs: 1 } });
      server.behaviour.failures.push({ path: '/tts_stream', status: 503 }, { path: '/tts_stream', reset: true }, { path: '/tts_stream', status: 429 });
      expectPcm(await collect(e.synthesize(chunk(), undefined, new AbortController().signal)), server.behaviour.pcm);
      expect(ttsRequests()).to.have.length(4);
    });

    it('gives up after the configured retries, naming the chunk and the last status', async () => {
      const e = await ready({ retries: { count: 1, baseDelayMs: 1 } });
      server.behaviour.failures.push(...[1, 2, 3].map(() => ({ path: '/tts_stream', status: 500, body: '{"detail":"CUDA out of memory"}' })));
      const err = await rejection(collect(e.synthesize(chunk('x', 'en', 3), undefined, new AbortController().signal)));
      expect(err.message).to.match(/XTTS chunk n1#3 failed/).and.to.contain('500').and.to.contain('CUDA out of memory');
      expect(ttsRequests()).to.have.length(2);
    });

    it('retries a server whose first byte is later than timeoutMs', async () => {
      const e = await ready({ timeoutMs: 150, retries: { count: 1, baseDelayMs: 1 } });
      server.behaviour.firstByteDelayMs = 1500;
      const err = await rejection(collect(e.synthesize(chunk(), undefined, new AbortController().signal)));
      expect(err.message).to.contain('no first byte').and.to.contain('150 ms');
      expect(ttsRequests()).to.have.length(2);
    });

    it('does not retry after the first byte: the chunk ends with an error naming it', async () => {
      const e = await ready();
      server.behaviour.disconnectAfterBytes = 1001;
      server.behaviour.writeSizes = [500];
      const blocks: Float32Array[] = [];
      let err: Error | undefined;
      try {
        for await (const b of e.synthesize(chunk('x', 'en', 5), undefined, new AbortController().signal)) blocks.push(b);
      } catch (caught) {
        err = caught as Error;
      }
      expect(err?.message).to.match(/XTTS chunk n1#5 failed after \d+ samples: XTTS server (\S+): stream broke after \d+ bytes/);
      expect(err?.message).to.contain(`XTTS server ${server.url}:`);
      expect(concatF32(blocks).length).to.be.greaterThan(0).and.at.most(500);
      expect(ttsRequests()).to.have.length(1);
    });

    it('reports a 4xx with the server message and does not retry it', async () => {
      const e = await ready();
      server.behaviour.failures.push({ path: '/tts_stream', status: 422, body: '{"detail":"language must be one of en, es"}' });
      const err = await rejection(collect(e.synthesize(chunk(), undefined, new AbortController().signal)));
      expect(err.message).to.contain('POST /tts_stream answered 422: language must be one of en, es');
      expect(ttsRequests()).to.have.length(1);
    });

    it('rejects a garbage /clone_speaker answer, naming the field', async () => {
      server.behaviour.cloneResponse = 'Internal error <html>';
      expect((await rejection(engine().init())).message).to.contain('voice "dm"').and.to.contain('non-JSON');
      server.behaviour.cloneResponse = { gpt_cond_latent: [[0.1, 0.2]], speaker_embedding: [] };
      expect((await rejection(engine().init())).message).to.contain('gpt_cond_latent must be [32][1024]');
      server.behaviour.cloneResponse = { ...standInLatents(), speaker_embedding: Array(512).fill('x') };
      expect((await rejection(engine().init())).message).to.contain('speaker_embedding[0] must be a finite number');
    });

    it('caches cloned latents on disk: a second engine does not call /clone_speaker', async () => {
      await ready();
      expect(readdirSync(dir).filter((f) => f.endsWith('.latents.json'))).to.have.length(1);
      const second = await ready();
      expect(server.requestsTo('/clone_speaker')).to.have.length(1);
      await collect(second.synthesize(chunk(), 'dm', new AbortController().signal));
      expect(ttsRequests()[0].json!.speaker_embedding).to.deep.equal(standInLatents().speaker_embedding);
      writeToneWav(dir, 'ref.wav', 5); // changed reference → new hash → cloned again
      await ready();
      expect(server.requestsTo('/clone_speaker')).to.have.length(2);
    });

    it('uses a latents file voice without cloning, and joins several references into one upload', async () => {
      writeFileSync(join(dir, 'npc.json'), JSON.stringify(standInLatents(7)));
      writeToneWav(dir, 'ref2.wav', 3);
      const e = await ready({ voices: { 'npc:innkeeper': { latents: 'npc.json' }, dm: { wav: ['ref.wav', 'ref2.wav'] } }, defaultVoice: 'npc:innkeeper' });
      const clone = server.requestsTo('/clone_speaker');
      expect(clone).to.have.length(1);
      expect(clone[0].parts![0].fileName).to.equal('references.wav');
      await collect(e.synthesize(chunk(), undefined, new AbortController().signal));
      expect(ttsRequests()[0].json!.speaker_embedding).to.deep.equal(standInLatents(7).speaker_embedding);
    });

    it('refuses reference paths that leave voicesDir and invalid references, naming them', async () => {
      writeToneWav(join(dir, '..'), `outside-${process.pid}.wav`, 4);
      try {
        const escape = await rejection(engine({ voices: { dm: { wav: `../outside-${process.pid}.wav` } } }).init());
        expect(escape.message).to.contain('voice "dm"').and.to.contain('leaves voicesDir');
      } finally {
        rmSync(join(dir, '..', `outside-${process.pid}.wav`), { force: true });
      }
      writeToneWav(dir, 'short.wav', 1);
      const short = await rejection(engine({ voices: { dm: { wav: 'short.wav' } } }).init());
      expect(short.message).to.contain('short.wav').and.to.contain('1.00 s long');
      expect(server.requestsTo('/clone_speaker')).to.have.length(0);
    });

    it('init names the URL and cause when the server is unreachable', async () => {
      const url = server.url;
      await server.close();
      const err = await rejection(engine({ url }).init());
      expect(err.message).to.contain(url).and.to.contain('not reachable').and.to.contain('ECONNREFUSED');
      server = await XttsStandInServer.start(); // for afterEach
    });

    it('init refuses a server that does not speak the API (404 at the probe: a wrong URL), naming what it answered', async () => {
      const err = await rejection(engine({ url: `${server.url}/wrong/prefix` }).init());
      expect(err.message).to.contain(`answered GET ${server.url}/wrong/prefix/languages with 404`).and.to.contain('not a xtts-streaming-server API there');
    });

    it('refuses an unsupported language or unknown voice at once, and calls before init', async () => {
      expect(() => engine().synthesize(chunk(), undefined, new AbortController().signal)).to.throw(/before init/);
      const e = await ready();
      expect(() => e.synthesize(chunk('x', 'xx'), undefined, new AbortController().signal)).to.throw(/does not speak language "xx"/);
      expect(() => e.synthesize(chunk(), 'bard', new AbortController().signal)).to.throw(/unknown XTTS voice "bard"; configured: dm/);
      const voiceless = await ready({ voices: {} });
      expect(() => voiceless.synthesize(chunk(), undefined, new AbortController().signal)).to.throw(/no XTTS voice configured: set plugins.tts-xtts.voices/);
      expect(ttsRequests()).to.have.length(0);
    });

    it('refines charsPerSecond from the audio of a finished chunk', async () => {
      const e = await ready();
      expect(e.charsPerSecond('en')).to.equal(14.5);
      server.behaviour.pcm = testPcm(48_000); // 2 s
      server.behaviour.writeSizes = [16_000];
      await collect(e.synthesize(chunk('x'.repeat(30)), undefined, new AbortController().signal));
      expect(e.charsPerSecond('en')).to.be.closeTo(15, 1e-9);
      expect(e.charsPerSecond('ja')).to.equal(6);
    });
  });

  describe('OpenAI-style protocol', () => {
    it('posts /v1/audio/speech and streams pcm', async () => {
      const e = await ready({ protocol: 'openai', voices: {}, defaultVoice: 'narrator', speed: 1.25 });
      expect(server.requestsTo('/clone_speaker')).to.have.length(0);
      expectPcm(await collect(e.synthesize(chunk('Roll for initiative.'), undefined, new AbortController().signal)), server.behaviour.pcm);
      const [req] = server.requestsTo('/v1/audio/speech');
      expect(req.json).to.deep.equal({ model: 'xtts', input: 'Roll for initiative.', voice: 'narrator', response_format: 'pcm', speed: 1.25 });
    });

    it('strips the header of response_format wav and passes a named voice through', async () => {
      const e = await ready({ protocol: 'openai', voices: {}, responseFormat: 'wav' });
      expectPcm(await collect(e.synthesize(chunk(), 'female_01.wav', new AbortController().signal)), server.behaviour.pcm);
      expect(server.requestsTo('/v1/audio/speech')[0].json).to.include({ voice: 'female_01.wav', response_format: 'wav' });
    });
  });

  describe('limits reach the chunker', () => {
    it('declares XTTS char_limits and languages', () => {
      const e = engine();
      expect(e.maxChars('en')).to.equal(250);
      expect(e.maxChars('ja')).to.equal(71);
      expect(e.maxChars('zh')).to.equal(82);
      expect(e.languages).to.have.length(16);
      expect(e.sampleRate).to.equal(24_000);
      expect(() => e.maxChars('hi')).to.throw(/does not speak language "hi"/);
    });

    it('SemanticChunker with maxChars(lang) never emits longer spoken text (en, ja)', () => {
      const e = engine();
      const en = 'The tavern falls silent as the stranger enters, rain dripping from a cloak that has seen better days and worse roads. '.repeat(12)
        + 'Averylongwordwithoutanybreaks'.repeat(12);
      const ja = '冒険者たちは古い城の門をくぐり、暗い廊下を進んでいった。壁には色あせたタペストリーが掛かり、遠くから不気味な音が聞こえてくる。'.repeat(8)
        + 'あ'.repeat(300);
      for (const [language, text] of [['en', en], ['ja', ja]] as const) {
        const chunker = new SemanticChunker({ language, maxChars: e.maxChars(language), charsPerSecond: e.charsPerSecond(language) });
        const chunks = chunker.chunk(text);
        expect(chunks.length, language).to.be.greaterThan(3);
        for (const c of chunks) expect(c.spoken.length, `${language} chunk ${c.index}: ${c.spoken}`).to.be.at.most(e.maxChars(language));
      }
    });
  });
});
