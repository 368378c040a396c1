import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as wavefileNs from 'wavefile';
import { Client } from '@colyseus/sdk';
import { WebRtcListener } from '../plugins/audio-webrtc/webrtc-listener.ts';

// wavefile is a UMD bundle: its namespace shape differs between tsx's ESM and CJS paths.
const { WaveFile } = ('WaveFile' in wavefileNs ? wavefileNs : (wavefileNs as unknown as { default: typeof wavefileNs }).default);
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'colyseus-game');
/** Decoded Opus RMS (s16) above which a packet counts as speech. */
const LOUD_RMS = 500;

/** A free TCP port on loopback (the example takes its port from PORT, as a deployment would). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: Array<{ path: string; size: number }>;
}

/**
 * The package as a user gets it: `npm pack` of this checkout, installed with plain `npm install`
 * into a fresh temporary project from the npm registry (no .npmrc, no allowScripts of ours apply
 * there), next to @colyseus/core 0.18, ws-transport, schema and werift + opusscript (for the
 * `webrtc` sink); then the example game (examples/colyseus-game) runs from it with plain `node`.
 */
describe('the packed package in a fresh project (npm pack, npm install from the registry, plain node)', function () {
  this.timeout(600_000);
  let dir: string;
  let pack: PackResult;
  let game: ChildProcess | null = null;
  let gameOut = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vrpg-consumer-'));
    // The build first (what `prepare` does on pack), so pack's --json output stays clean.
    await run('npm', ['run', 'build', '--silent'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    pack = (JSON.parse(packed.stdout) as PackResult[])[0]!;
    const example = JSON.parse(readFileSync(join(EXAMPLE, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const manifest = { name: 'consumer', private: true, type: 'module', dependencies: { ...example.dependencies, 'vrpg-narrator': `file:./${pack.filename}` } };
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    copyFileSync(join(EXAMPLE, 'server.js'), join(dir, 'server.js'));
    mkdirSync(join(dir, 'public'));
    copyFileSync(join(EXAMPLE, 'public', 'index.html'), join(dir, 'public', 'index.html'));
    const started = performance.now();
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
    console.log(`      tarball ${pack.filename}: ${(pack.size / 1024).toFixed(0)} KiB packed, ${(pack.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${pack.entryCount} files; npm install ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    if (game && game.exitCode === null) game.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships compiled JavaScript, declarations, the browser SDK and the bin; no tests, fixtures, sources or caches', () => {
    const paths = pack.files.map((f) => f.path);
    for (const p of ['package.json', 'README.md', 'bin/vrpg-narrator.js', 'dist/server/index.js', 'dist/server/index.d.ts', 'dist/server/cli/main.js',
      'dist/server/playout/playout-worker.js', 'dist/plugins/tts-espeak/index.js', 'dist/plugins/tts-espeak/espeak-worker.js',
      'game-bridge/web/dist/narration-client.js', 'game-bridge/web/dist/narration-client.d.ts', 'game-bridge/web/demo/index.html']) {
      expect(paths, p).to.include(p);
    }
    const stray = paths.filter((p) => /^(test|bench|tools|examples|node_modules)\//.test(p) || /(^|\/)\.cache\//.test(p) || /fixtures/.test(p) || (/\.ts$/.test(p) && !/\.d\.ts$/.test(p)) || /tsbuildinfo/.test(p));
    expect(stray).to.deep.equal([]);
    // Every relative import of the compiled code names a shipped .js file (tsc leaves some `import('./x.ts')` as written).
    const tsImports = paths
      .filter((p) => p.endsWith('.js') && p.startsWith('dist/'))
      .flatMap((p) => [...readFileSync(join(ROOT, p), 'utf8').matchAll(/(?:import\(|from\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => ({ p, spec: m[1]! })))
      .filter(({ spec }) => !spec.endsWith('.js'));
    expect(tsImports).to.deep.equal([]);
  });

  it('installs without tsx, TypeScript or the optional engine and sink packages', () => {
    const nm = join(dir, 'node_modules');
    expect(existsSync(join(nm, 'vrpg-narrator', 'dist', 'server', 'index.js'))).to.equal(true);
    for (const absent of ['tsx', 'typescript', 'esbuild', 'onnxruntime-node', 'naudiodon', '@livekit/rtc-node', 'livekit-server-sdk', 'livekit-client']) {
      expect(existsSync(join(nm, absent)), `${absent} installed`).to.equal(false);
    }
    // One copy of Colyseus: a second @colyseus/core or schema breaks the matchmaker and the schema registries.
    const copies = (name: string) => [join(nm, name), join(nm, 'vrpg-narrator', 'node_modules', name), join(nm, '@colyseus', 'sdk', 'node_modules', name)].filter(existsSync);
    expect(copies('@colyseus/core')).to.have.length(1);
    expect(copies('@colyseus/schema')).to.have.length(1);
  });

  it('imports the public API with plain node, and names the package to install for a plugin that lacks one', async () => {
    const script = `
      import * as api from 'vrpg-narrator';
      console.log(JSON.stringify(Object.keys(api).sort()));
      try {
        await api.createNarrator({ plugins: { 'tts-espeak': {}, 'audio-native': {} }, sinks: ['native'], log: { level: 'silent' } });
        console.log('started');
      } catch (err) {
        console.log(JSON.stringify({ name: err.name, key: err.key, message: err.message, isConfigError: err instanceof api.ConfigError }));
      }`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
    const [keys, error] = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(keys).to.include.members(['createNarrator', 'Narrator', 'NarrationState', 'NarrationRoomPlugin', 'NarrationError', 'ConfigError']);
    expect(error).to.deep.include({ name: 'ConfigError', key: 'plugins.audio-native', isConfigError: true });
    expect(error.message).to.contain('npm install naudiodon');
  });

  it('runs the example game: server-side combat narrates, a player hears it over WebRTC and a game engine over the bridge, roles are the game\'s, the WAV has speech', async () => {
    const port = await freePort();
    const recordings = join(dir, 'recordings');
    game = spawn(process.execPath, ['server.js'], { cwd: dir, env: { ...process.env, PORT: String(port), RECORDINGS_DIR: recordings, LOG_LEVEL: 'warn' } });
    game.stdout!.on('data', (d: Buffer) => (gameOut += d.toString()));
    game.stderr!.on('data', (d: Buffer) => (gameOut += d.toString()));
    const lines = () => gameOut.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
    const until = async (what: string, fn: () => boolean, timeoutMs = 30_000) => {
      const end = Date.now() + timeoutMs;
      while (!fn()) {
        if (Date.now() > end || game!.exitCode !== null) throw new Error(`${what}: timed out; game output:\n${gameOut}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until('listening', () => lines().some((l) => l.event === 'listening'));
    const listening = lines().find((l) => l.event === 'listening')!;
    console.log(`      example game: createNarrator() → ready ${listening.startupMs} ms`);

    const endpoint = `ws://127.0.0.1:${port}`;
    const gm = await new Client(endpoint).joinOrCreate('dungeon', { name: 'Mira' });
    const gmReplies: Array<{ type: string; payload: any }> = [];
    gm.onMessage('*', (type: string | number, payload: unknown) => gmReplies.push({ type: String(type), payload }));
    const ana = await new Client(endpoint).joinById(gm.roomId, { name: 'Ana' });
    const anaMessages: Array<{ type: string; payload: any }> = [];
    ana.onMessage('*', (type: string | number, payload: unknown) => anaMessages.push({ type: String(type), payload }));
    const listener = new WebRtcListener(ana);
    await listener.listen();
    const heardFrom = listener.packets.length;

    ana.send('attack');
    await until('game:attack', () => anaMessages.some((m) => m.type === 'game:attack'));
    const attack = anaMessages.find((m) => m.type === 'game:attack')!.payload as { who: string; damage: number; ogreHp: number; narrationId: string };
    expect(attack.who).to.equal('Ana');
    expect(attack.ogreHp).to.equal(30 - attack.damage);
    await until('narration:end', () => anaMessages.some((m) => m.type === 'narration:end' && m.payload.id === attack.narrationId));
    const report = anaMessages.find((m) => m.type === 'narration:end' && m.payload.id === attack.narrationId)!.payload;
    expect(report.trigger).to.equal('game:attack');
    expect(report.text).to.match(/^Ana hits the ogre for \d+\. It has \d+ hit points left\.$/);
    expect(report.audioMs).to.be.greaterThan(1500);
    expect(report.cancelled).to.equal(false);
    expect(report.underruns).to.equal(0);
    // The host's own state: what its rule did, and the narration's optional field beside it.
    expect(ana.state.ogreHp).to.equal(attack.ogreHp);
    expect(ana.state.gm).to.equal(gm.sessionId);
    expect(anaMessages.filter((m) => m.type === 'narration:caption').map((m) => m.payload.text).join('')).to.equal(report.text);
    // The server-side `done` promise resolved with the same report.
    await until('done report', () => lines().some((l) => l.event === 'narration-end' && l.report.id === attack.narrationId));
    expect(lines().find((l) => l.event === 'narration-end' && l.report.id === attack.narrationId)!.report.audioMs).to.equal(report.audioMs);
    // Heard over direct WebRTC: at least the narration's frames, loud, at the decoder.
    await until('packets', () => listener.packets.length - heardFrom >= report.audioMs / 20);
    const loud = listener.rmsPerPacket(heardFrom).filter((r) => r > LOUD_RMS).length;
    expect(loud, 'speech packets heard by the player').to.be.greaterThan((report.audioMs / 20) * 0.5);

    // Roles are the game's: the player may not narrate; the game master (who opened the room) may.
    ana.send('narration:narrate', { text: 'I am the DM now.' });
    await until('refusal', () => anaMessages.some((m) => m.type === 'narration:error'));
    expect(anaMessages.find((m) => m.type === 'narration:error')!.payload).to.deep.include({ type: 'narration:narrate', code: 'not_allowed' });
    gm.send('narration:narrate', { text: 'The ogre roars.' });
    await until('accepted', () => gmReplies.some((m) => m.type === 'narration:accepted'));

    // A game engine at the same table over the bridge (the package's `vrpg-narrator/bridge-client`):
    // seated in the game's own room, it sends the game's own message and hears the narration it causes.
    const bridgeScript = `
      import { NodeBridgeClient } from 'vrpg-narrator/bridge-client';
      const c = await NodeBridgeClient.connect(process.argv[1], { type: 'join', room: process.argv[2], name: 'Gd', audio: { rate: 16000 } });
      c.send('attack');
      const attack = await c.waitForMessage('game:attack', (a) => a.who === 'Gd', 20000);
      const report = await c.waitForMessage('narration:end', (r) => r.id === attack.narrationId, 30000);
      const loud = () => c.frames.filter((f) => f.rms > 0.02).length;
      await c.waitFor(() => loud() * 20 >= report.audioMs * 0.5, 5000);
      console.log(JSON.stringify({ role: c.seated.role, rate: c.frames[0]?.rate, text: report.text, audioMs: report.audioMs, loud: loud(), bad: c.badFrames }));
      await c.leave();`;
    const bridged = await run(process.execPath, ['--input-type=module', '-e', bridgeScript, `ws://127.0.0.1:${port}/bridge`, gm.roomId], { cwd: dir });
    const heard = JSON.parse(bridged.stdout.trim().split('\n').pop()!);
    expect(heard).to.include({ role: 'player', rate: 16_000, bad: 0 });
    expect(heard.text).to.match(/^Gd hits the ogre for \d+\./);
    expect(heard.loud, 'speech frames heard over the bridge').to.be.greaterThan((heard.audioMs / 20) * 0.5);

    await listener.close();
    await ana.leave(true);
    await gm.leave(true);
    game.kill('SIGTERM');
    await until('exit', () => game!.exitCode !== null || game!.signalCode !== null, 30_000).catch(() => undefined);
    expect(game.exitCode, gameOut).to.equal(0);

    const wavs = readdirSync(recordings).filter((f) => f.endsWith('.wav'));
    expect(wavs).to.deep.equal([`room-${gm.roomId}.wav`]);
    const wav = new WaveFile(readFileSync(join(recordings, wavs[0]!)));
    expect((wav.fmt as { sampleRate: number }).sampleRate).to.equal(22_050);
    const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array;
    let loudSamples = 0;
    for (const s of samples) if (Math.abs(s) > 1000) loudSamples++;
    expect(loudSamples, 'samples at speech level in the recording').to.be.greaterThan(22_050);
  });
});
