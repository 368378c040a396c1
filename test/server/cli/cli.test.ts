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
