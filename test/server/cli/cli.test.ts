import { expect } from 'chai';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { copyFileSync, mkdtempSync, readFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as wavefileNs from 'wavefile';
import { XttsStandInServer } from '../../fixtures/xtts/stand-in-server.ts';
import { writeToneWav } from '../../fixtures/xtts/tone-wav.ts';
import { CAPTURE_CONFIG, NO_DEVICES_CONFIG } from '../../fixtures/alsa/run-player.ts';
import { cudaProviderLibraries } from '../../../server/synthesis/cuda-provider-libraries.ts';
import { startOpenAiStandIn, type StandInModel } from '../../../tools/llm-stand-in/openai-stand-in.ts';

// wavefile is a UMD bundle: its namespace shape differs between tsx's ESM and CJS paths.
const { WaveFile } = ('WaveFile' in wavefileNs ? wavefileNs : (wavefileNs as unknown as { default: typeof wavefileNs }).default);

const run = promisify(execFile);
const XTTS_TINY = join(process.cwd(), 'test', 'fixtures', 'xtts-onnx', 'tiny');
const XTTS_REF = join(process.cwd(), 'test', 'fixtures', 'xtts-onnx', 'reference', 'ref.wav');
const BIN = join(process.cwd(), 'bin', 'vrpg-narrator.js');
/** The CLI as a user runs it: the package bin in a child process, no audio device needed. */
const env = { ...process.env, VRPG_LOG__LEVEL: 'warn' };

function readWav(path: string): { sampleRate: number; samples: Int16Array } {
  const wav = new WaveFile(readFileSync(path));
  return { sampleRate: (wav.fmt as { sampleRate: number }).sampleRate, samples: wav.getSamples(false, Int16Array) as unknown as Int16Array };
}

describe('vrpg-narrator CLI (child processes of the package bin)', function () {
  this.timeout(120_000);

  it('demo plays the scripted session and reports every narration with audio, zero underruns and fast cancels', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vrpg-demo-'));
    await run(process.execPath, [BIN, 'demo', '--out', out], { env, timeout: 110_000 });
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.rooms).to.have.length(1);
    const room = report.rooms[0];
    expect(room).to.have.keys(['roomId', 'wav', 'sampleRate', 'narrations']);
    expect(room.wav).to.equal(`room-${room.roomId}.wav`);
    const narrations = room.narrations as Array<Record<string, any>>;
    expect(narrations.length).to.be.at.least(8);
    for (const n of narrations) {
      expect(n).to.have.keys(['id', 'trigger', 'text', 'chunks', 'ttfaMs', 'firstBlockMs', 'audioMs', 'synthesisMs', 'rtf', 'underruns', 'gapMs', 'cancelled', 'cancelLatencyMs', 'paused', 'loudnessLufs', 'gainDb', 'error']);
      expect(n.error, n.trigger).to.equal(null);
      expect(n.audioMs, n.trigger).to.be.greaterThan(0);
      expect(n.ttfaMs, n.trigger).to.be.a('number');
      expect(n.underruns, n.trigger).to.equal(0);
    }
    const triggers = narrations.map((n) => n.trigger);
    expect(triggers).to.include.members(['event:player_joined', 'event:enter_location', 'event:dice_roll', 'event:combat_start', 'dm:text', 'dm:stream']);
    const cancelled = narrations.filter((n) => n.cancelled);
    expect(cancelled).to.have.length(2); // the interrupted long narration and the DM's cancel
    for (const n of cancelled) expect(n.cancelLatencyMs).to.be.a('number').within(0, 50);
    expect(narrations.some((n) => n.paused)).to.equal(true);

    const wav = readWav(join(out, room.wav));
    expect(wav.sampleRate).to.equal(room.sampleRate);
    const wavMs = (wav.samples.length / wav.sampleRate) * 1000;
    const audioMs = narrations.reduce((s, n) => s + n.audioMs, 0);
    expect(wavMs).to.be.at.least(audioMs); // every narration frame plus the silence between
    let loud = 0;
    for (const s of wav.samples) if (Math.abs(s) > 1000) loud++;
    expect(loud).to.be.greaterThan(wav.sampleRate); // more than a second of speech-level samples
  });

  describe('demo --llm-url (stand-in OpenAI-compatible SSE server in this process: no model runs here)', () => {
    const REPLY = 'Candles gutter in the damp air of the crypt. Moss covers the old graves, and something stirs below the flagstones.';
    /** Fast enough that the model adds well under a second to the demo (~50 s of real-time speech without it). */
    const fast = (m: Partial<StandInModel> = {}): StandInModel => ({ reply: REPLY, ttftMs: 50, tokensPerSecond: 100, ...m });
    type Failure = { code: number; stdout: string; stderr: string; killed: boolean };
    /** Runs the demo expecting it to fail: the failure, or null when it exited 0. */
    const demo = (args: string[], extraEnv: Record<string, string> = {}, out = mkdtempSync(join(tmpdir(), 'vrpg-demo-llm-'))) =>
      run(process.execPath, [BIN, 'demo', '--out', out, ...args], { env: { ...env, ...extraEnv }, timeout: 110_000 })
        .then(() => null, (e: Failure) => e);

    it('asks the model once the party has entered the location, prints its narration and reports it (--llm-model main, --llm-prelude-model small)', async () => {
      // Whichever wins the race (the prelude, continued by main, or main alone), the narration is REPLY.
      const llm = await startOpenAiStandIn({ main: fast({ ttftMs: 300 }), small: fast({ reply: REPLY.split('. ')[0] + '.', ttftMs: 20 }) });
      try {
        const out = mkdtempSync(join(tmpdir(), 'vrpg-demo-llm-'));
        const { stderr } = await run(process.execPath, [BIN, 'demo', '--out', out, '--llm-url', llm.url, '--llm-model', 'main', '--llm-prelude-model', 'small'], { env, timeout: 110_000 });
        expect(stderr).to.contain('the DM asks the language model main to describe the place');
        expect(stderr).to.contain(JSON.stringify(REPLY));
        expect([...new Set(llm.requests.map((r) => r.model))].sort()).to.deep.equal(['main', 'small']);
        for (const r of llm.requests) expect(r.body.messages.find((m) => m.role === 'user')!.content, r.model).to.contain('Sunken Crypt');
        const narrations = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).rooms[0].narrations as Array<Record<string, any>>;
        const written = narrations.filter((n) => n.trigger === 'dm:llm');
        expect(written).to.have.length(1);
        expect(written[0]).to.deep.include({ text: REPLY, error: null });
        expect(written[0]!.audioMs).to.be.greaterThan(0);
        // The story goes on after the model's step: the same scripted narrations as without --llm-url.
        expect(narrations.map((n) => n.trigger).indexOf('dm:llm')).to.equal(narrations.map((n) => n.trigger).indexOf('event:enter_location') + 1);
        expect(narrations.filter((n) => n.trigger !== 'dm:llm').map((n) => n.trigger)).to.include.members(['event:dice_roll', 'event:combat_start', 'dm:stream']);
      } finally {
        await llm.close();
      }
    });

    it('exits 1 with one line carrying the model\'s error when the model answers HTTP 500, and writes no report', async () => {
      const llm = await startOpenAiStandIn({ main: fast({ fault: { kind: 'status', status: 500, message: 'CUDA out of memory' } }) });
      try {
        const out = mkdtempSync(join(tmpdir(), 'vrpg-demo-llm-'));
        const err = await demo(['--llm-url', llm.url, '--llm-model', 'main'], {}, out);
        expect(err, 'demo exited 0').to.not.equal(null);
        expect(err!.killed, 'demo hung until the timeout').to.equal(false);
        expect(err!.code).to.equal(1);
        expect(err!.stderr).to.match(/^vrpg-narrator: demo: the language model's narration failed: language model main at http:\/\/127\.0\.0\.1:\d+\/v1 answered HTTP 500: CUDA out of memory$/m);
        expect(err!.stderr).to.not.match(/\n\s+at /); // no stack
        expect(err!.stderr).to.not.contain('DM cancels'); // it stopped at the failed step
        expect(existsSync(join(out, 'report.json'))).to.equal(false);
      } finally {
        await llm.close();
      }
    });

    it('without --llm-model asks the first model GET /models lists, with the key from --llm-key-env', async () => {
      const key = 'sk-demo-KEY0123456789';
      // The listed-first model answers 503 (llama-server while it loads a model), so the demo ends at the
      // language-model step, right after the choice under test, instead of playing its ~50 s of speech.
      const llm = await startOpenAiStandIn({ 'qwen2.5:7b': fast({ fault: { kind: 'status', status: 503, message: 'Loading model' } }), main: fast() }, { apiKey: key });
      try {
        const err = await demo(['--llm-url', llm.url, '--llm-key-env', 'DEMO_LLM_KEY'], { DEMO_LLM_KEY: key });
        expect(err, 'demo exited 0').to.not.equal(null);
        expect(err!.stderr).to.contain('the DM asks the language model qwen2.5:7b to describe the place');
        expect(llm.requests.map((r) => [r.model, r.authorization])).to.deep.equal([['qwen2.5:7b', `Bearer ${key}`]]);
        expect(err!.code).to.equal(1);
        expect(err!.stderr).to.contain('HTTP 503: Loading model');
        expect(err!.stderr).to.not.contain('KEY0123456789');
      } finally {
        await llm.close();
      }
    });

    it('refuses bad language-model flags with exit 2 and one line naming the flag, before booting', async () => {
      const probe = net.createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const deadUrl = `http://127.0.0.1:${(probe.address() as net.AddressInfo).port}/v1`;
      await new Promise((r) => probe.close(r)); // a port nothing listens on
      const cases: Array<[string[], RegExp]> = [
        [['--llm-model', 'main'], /config error: --llm-model: needs --llm-url/],
        [['--llm-url', 'ftp://127.0.0.1/v1', '--llm-model', 'main'], /config error: plugins\.llm-openai\.url: \(from --llm-url\) must be an http\(s\) URL/],
        [['--llm-url', deadUrl], new RegExp(`config error: --llm-url: cannot list the models at ${deadUrl.replace(/\./g, '\\.')}/models \\(.*ECONNREFUSED`)],
        [['--llm-url', deadUrl, '--llm-model', 'main', '--llm-key-env', 'DEMO_UNSET_KEY'], /config error: --llm-key-env: environment variable DEMO_UNSET_KEY is not set or empty/],
      ];
      for (const [args, message] of cases) {
        const err = await demo(args);
        expect(err, args.join(' ')).to.not.equal(null);
        expect(err!.code, args.join(' ')).to.equal(2);
        expect(err!.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
        expect(err!.stderr, args.join(' ')).to.match(message);
      }
    });
  });

  it('chunk prints JSON lines whose spans concatenate to the input', async () => {
    const text = 'The dragon, ancient and cruel, rises from the lava and roars. Roll 2d8+4 fire damage! Then it turns toward the door.';
    const child = execFile(process.execPath, [BIN, 'chunk', '--lang', 'en'], { env });
    child.stdin!.end(text);
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    await new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(null) : reject(new Error(`exit ${code}`)))));
    const chunks = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(chunks.length).to.be.greaterThan(1);
    expect(chunks.map((c) => c.text).join('')).to.equal(text);
    for (const [i, c] of chunks.entries()) {
      expect(c).to.have.keys(['index', 'text', 'spoken', 'chars', 'estSeconds', 'boundary']);
      expect(c.index).to.equal(i);
      expect(c.chars).to.equal(c.spoken.length);
      expect(['sentence', 'clause', 'conjunction', 'forced', 'end']).to.include(c.boundary);
    }
    expect(chunks.map((c) => c.spoken).join(' ')).to.contain('two d eight plus four');
  });

  it('say writes the narration to a WAV file and prints its report line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vrpg-say-')), 'hello.wav');
    const { stdout } = await run(process.execPath, [BIN, 'say', 'Welcome to the table, adventurers.', '--out', file], { env, timeout: 60_000 });
    const report = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(report.trigger).to.equal('cli:say');
    expect(report.audioMs).to.be.greaterThan(1000);
    expect(existsSync(file)).to.equal(true);
    const wav = readWav(file);
    expect((wav.samples.length / wav.sampleRate) * 1000).to.be.at.least(report.audioMs);
  });

  it('say with no --out plays on the audio device and exits 0 (an ALSA file PCM is the device)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrpg-say-device-'));
    const capture = join(dir, 'capture.raw');
    const { stdout } = await run(process.execPath, [BIN, 'say', 'Hello there.'], {
      cwd: dir,
      env: { ...env, ALSA_CONFIG_PATH: CAPTURE_CONFIG, VRPG_ALSA_CAPTURE_FILE: capture },
      timeout: 60_000,
    });
    const report = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(report.error).to.equal(null);
    // s16 mono at espeak-ng's 22 050 Hz: at least the narration's audio reached the device.
    expect(statSync(capture).size).to.be.at.least(Math.floor((report.audioMs / 1000) * 22_050) * 2);
  });

  it('say with no audio device and no --out exits 1 with one line saying there is nowhere to play (it used to exit 0)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrpg-say-nowhere-'));
    const err = await run(process.execPath, [BIN, 'say', 'Hello'], { cwd: dir, env: { ...env, ALSA_CONFIG_PATH: NO_DEVICES_CONFIG }, timeout: 60_000 })
      .then(() => null, (e: { code: number; stdout: string; stderr: string }) => e);
    expect(err, 'say exited 0').to.not.equal(null);
    expect(err!.code).to.equal(1);
    const lines = err!.stderr.trim().split('\n');
    expect(lines).to.deep.equal([
      'vrpg-narrator: say: nowhere to play: no audio output device (asked for "default"); PortAudio found none; pass --out FILE.wav to record instead (`vrpg-narrator devices` lists the outputs)',
    ]);
    expect(err!.stdout).to.not.contain('"trigger":"cli:say"'); // nothing was narrated
  });

  it('say with no audio device but --out still records and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrpg-say-file-'));
    const file = join(dir, 'hello.wav');
    const { stdout } = await run(process.execPath, [BIN, 'say', 'Hello', '--out', file], { cwd: dir, env: { ...env, ALSA_CONFIG_PATH: NO_DEVICES_CONFIG }, timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!).audioMs).to.be.greaterThan(0);
    expect(existsSync(file)).to.equal(true);
  });

  it('say exits 1 with the report\'s error when the engine synthesized nothing (stand-in XTTS server refusing the chunk)', async () => {
    const server = await XttsStandInServer.start();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'vrpg-say-fail-'));
      const ref = writeToneWav(dir, 'innkeeper.wav', 4);
      // A 4xx is not retried: the only chunk fails and no audio is synthesized. The server refuses every
      // request: the voice's start-up calibration (VoiceProfiles) asks first, fails, and `say` goes on.
      for (let i = 0; i < 8; i++) server.behaviour.failures.push({ path: '/tts_stream', status: 422, body: '{"detail":"language must be one of en, es"}' });
      const err = await run(
        process.execPath,
        [BIN, 'say', 'Welcome.', '--xtts-url', server.url, '--voice-wav', ref, '--voice', 'innkeeper', '--out', join(dir, 'out.wav')],
        { env, timeout: 60_000 },
      ).then(() => null, (e: { code: number; stdout: string; stderr: string }) => e);
      expect(err, 'say exited 0').to.not.equal(null);
      expect(err!.code).to.equal(1);
      const report = JSON.parse(err!.stdout.trim().split('\n').pop()!);
      expect(report.audioMs).to.equal(0);
      expect(report.error).to.match(/^1 of 1 chunk\(s\) failed to synthesize: .*422/);
      expect(err!.stderr).to.contain(`vrpg-narrator: say: ${report.error}`);
    } finally {
      await server.close();
    }
  });

  it('gpu --json reports the card, its tier and where each value came from (stand-in nvidia-smi on PATH: no GPU here)', async () => {
    const fixtures = join(process.cwd(), 'test', 'fixtures', 'nvidia-smi');
    const { stdout } = await run(process.execPath, [BIN, 'gpu', '--json'], {
      env: { ...env, PATH: `${fixtures}:${process.env.PATH}`, FAKE_NVIDIA_SMI_FIXTURE: 'rtx-4090', VRPG_XTTS_PREBUFFER_SECONDS: '2' },
      timeout: 30_000,
    });
    const report = JSON.parse(stdout);
    expect(report.gpus[0].name).to.contain('4090');
    expect(report.tier).to.equal('high-end');
    expect(report.config.prebufferSeconds).to.equal(2);
    expect(report.sources.prebufferSeconds).to.match(/VRPG_XTTS_PREBUFFER_SECONDS|env/);
    expect(report.fallbackReason).to.equal(null);
    // Checked, not assumed: this machine's onnxruntime-node has no CUDA provider.
    const libraries = cudaProviderLibraries();
    expect(report.cudaProvider.available).to.equal(false);
    if (libraries.reason !== null) expect(report.cudaProvider).to.deep.include({ checked: 'files', reason: libraries.reason });
  });

  it('say --xtts-url --voice-wav clones the voice and writes the 24 kHz audio the sinks received (stand-in XTTS server: no weights here)', async () => {
    const server = await XttsStandInServer.start();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'vrpg-xtts-say-'));
      const ref = writeToneWav(dir, 'innkeeper.wav', 4);
      const file = join(dir, 'out.wav');
      const { stdout } = await run(
        process.execPath,
        [BIN, 'say', 'Welcome, travellers. Rooms are two silver a night.', '--xtts-url', server.url, '--voice-wav', ref, '--voice', 'innkeeper', '--out', file],
        { env, timeout: 60_000 },
      );
      const report = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(report.audioMs).to.be.greaterThan(0);
      expect(server.requests.map((r) => r.path)).to.include.members(['/clone_speaker', '/tts_stream']);
      const wav = readWav(file);
      expect(wav.sampleRate).to.equal(24_000);
      expect((wav.samples.length / wav.sampleRate) * 1000).to.be.at.least(report.audioMs);
    } finally {
      await server.close();
    }
  });

  it('say --model-dir runs XTTS in process on the generated tiny fixture (random weights: no real XTTS weights here) and writes 24 kHz audio', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrpg-xtts-onnx-say-'));
    const file = join(dir, 'out.wav');
    // The voice's latents cache is written beside the reference: keep it out of the fixtures.
    const ref = join(dir, 'dm.wav');
    copyFileSync(XTTS_REF, ref);
    const { stdout } = await run(
      process.execPath,
      [BIN, 'say', 'The door creaks open.', '--model-dir', XTTS_TINY, '--voice-wav', ref, '--voice', 'dm', '--seed', '3', '--out', file],
      { env, timeout: 120_000 },
    );
    const report = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(report.audioMs).to.be.greaterThan(0);
    const wav = readWav(file);
    expect(wav.sampleRate).to.equal(24_000);
    expect(wav.samples.some((v: number) => v !== 0)).to.equal(true);
    expect((wav.samples.length / wav.sampleRate) * 1000).to.be.at.least(report.audioMs);
  });

  it('chunk --engine xtts never emits spoken text over XTTS\'s per-language limit', async () => {
    const text = 'The caravan crossed the desert for nine days and nine nights without water or shade or rest ' .repeat(12);
    const child = execFile(process.execPath, [BIN, 'chunk', '--engine', 'xtts', '--lang', 'pt'], { env });
    child.stdin!.end(text);
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    await new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(null) : reject(new Error(`exit ${code}`)))));
    const chunks = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(chunks.map((c) => c.text).join('')).to.equal(text);
    for (const c of chunks) expect(c.chars).to.be.at.most(203); // XTTS-v2 char_limits["pt"]
  });

  it('serve on a port in use exits 2 with one line naming the port (it used to hang forever)', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const err = await run(process.execPath, [BIN, 'serve', '--port', String(port)], { env: { ...env, VRPG_HOST: '127.0.0.1', VRPG_SINKS: 'wav' }, timeout: 60_000 })
        .then(() => null, (e: { code: number; stderr: string; killed: boolean }) => e);
      expect(err, 'serve exited 0').to.not.equal(null);
      expect(err!.killed, 'serve hung until the timeout').to.equal(false);
      expect(err!.code).to.equal(2);
      expect(err!.stderr).to.contain(`vrpg-narrator: config error: port: 127.0.0.1:${port} is already in use`);
      expect(err!.stderr).to.not.match(/\n\s+at /); // no stack
    } finally {
      blocker.close();
    }
  });

  it('refuses to start with a bad config, naming the key', async () => {
    try {
      await run(process.execPath, [BIN, 'serve'], { env: { ...env, VRPG_ENGINE: 'xtts' }, timeout: 30_000 });
      expect.fail('serve should have refused the config');
    } catch (err) {
      const e = err as { code: number; stderr: string };
      expect(e.code).to.equal(2);
      expect(e.stderr).to.contain('engine').and.to.contain('"xtts"').and.to.contain('espeak');
    }
  });
});
