import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ffmpegLoudness, hasFfmpeg, libraryLoudness } from '../../support/loudness.ts';

const run = promisify(execFile);
const BIN = join(process.cwd(), 'bin', 'vrpg-narrator.js');
const env = { ...process.env, VRPG_LOG__LEVEL: 'warn' };

const EN = 'The innkeeper leans over the counter and lowers his voice. Three riders came through the gate at dawn, he says, and none of them paid for their rooms.';
const PT = 'O taverneiro se inclina sobre o balcão e baixa a voz. Três cavaleiros passaram pelo portão ao amanhecer, diz ele, e nenhum pagou pelos quartos.';

/**
 * `say` as a user runs it (the package bin, espeak-ng), its WAV measured by FFmpeg's ebur128 and by
 * the ebur128-wasm library, not by the narrator's own meter: −16 ± 1 LUFS and ≤ −1 dBTP for voices
 * and rates whose raw loudness differs.
 */
describe('say output loudness, measured by FFmpeg and ebur128-wasm (issue 12)', function () {
  this.timeout(180_000);
  before(function () {
    if (!hasFfmpeg()) {
      console.log('      skipped: ffmpeg is not installed (.ci/run installs it)');
      this.skip();
    }
  });

  const cases: { label: string; args: string[]; rate?: number }[] = [
    { label: 'en-us', args: ['--voice', 'en-us', EN] },
    { label: 'en-gb-x-rp, rate 230 wpm', args: ['--voice', 'en-gb-x-rp', EN], rate: 230 },
    { label: 'pt-br+f2 (female variant)', args: ['--lang', 'pt', '--voice', 'pt-br+f2', PT] },
    { label: 'pt-br, rate 130 wpm', args: ['--lang', 'pt', '--voice', 'pt-br', PT], rate: 130 },
  ];
  for (const c of cases) {
    it(`${c.label}: within −16 ± 1 LUFS, true peak ≤ −1 dBTP`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vrpg-loud-'));
      const file = join(dir, 'say.wav');
      const config = join(dir, 'config.json');
      writeFileSync(config, JSON.stringify({ plugins: { 'tts-espeak': c.rate ? { rate: c.rate } : {} } }));
      const { stdout } = await run(process.execPath, [BIN, 'say', '--config', config, '--out', file, ...c.args], { env, timeout: 120_000 });
      const report = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(report.error).to.equal(null);
      const [ff, lib] = [await ffmpegLoudness(file), await libraryLoudness(file)];
      console.log(`      ${c.label}: ffmpeg ${ff.integratedLufs} LUFS ${ff.truePeakDbtp} dBTP; library ${lib.integratedLufs.toFixed(2)} LUFS ${lib.truePeakDbtp.toFixed(2)} dBTP; gain ${report.gainDb} dB`);
      for (const m of [ff, lib]) {
        expect(m.integratedLufs).to.be.within(-17, -15);
        expect(m.truePeakDbtp).to.be.at.most(-1);
      }
      // The two meters agree (FFmpeg prints 0.1 steps).
      expect(Math.abs(ff.integratedLufs - lib.integratedLufs)).to.be.below(0.3);
    });
  }
});
