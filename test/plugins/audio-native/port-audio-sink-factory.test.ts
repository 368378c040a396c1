import 'reflect-metadata';
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { PortAudioSinkFactory } from '../../../plugins/audio-native/port-audio-sink-factory.ts';
import { nativeAudioOptionsSchema } from '../../../plugins/audio-native/options.ts';
import type { NaudiodonBinding } from '../../../plugins/audio-native/naudiodon-binding.ts';
import { CAPTURE_CONFIG, NO_DEVICES_CONFIG, runPlayer } from '../../fixtures/alsa/run-player.ts';
import { expectedRampBytes } from '../../fixtures/alsa/ramp.ts';

const WARN = 40;

describe('PortAudioSinkFactory', () => {
  it('is named native', () => {
    const factory = new PortAudioSinkFactory(nativeAudioOptionsSchema.parse({}), pino({ level: 'silent' }));
    expect(factory.name).to.equal('native');
  });

  it('returns null and warns once with the reason when naudiodon fails to load', async () => {
    // The one case that cannot be made real here: naudiodon is built, so its load fails on purpose.
    class UnloadableFactory extends PortAudioSinkFactory {
      protected override loadBinding(): NaudiodonBinding {
        throw new Error('cannot load naudiodon (PortAudio): libportaudio.so.2: cannot open shared object file');
      }
    }
    const logs: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const factory = new UnloadableFactory(nativeAudioOptionsSchema.parse({}), log);
    const ctx = { roomId: 'r', sampleRate: 22_050, frameSamples: 441, log };
    expect(await factory.create(ctx)).to.equal(null);
    expect(await factory.create(ctx)).to.equal(null);
    const warnings = logs.filter((l) => l.level === WARN);
    expect(warnings).to.have.length(1);
    expect(String(warnings[0]!.err)).to.contain('libportaudio.so.2');
    expect(String(warnings[0]!.problem)).to.contain('naudiodon failed to load');
  });

  describe('with real PortAudio under a fixture ALSA config', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'vrpg-alsa-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('returns null and warns once, listing the devices, when the configured device does not exist', async () => {
      const { result, exitCode } = await runPlayer(
        { sampleRate: 22_050, frameCount: 5, createAttempts: 3, options: { device: 'no-such-speaker' } },
        { alsaConfig: CAPTURE_CONFIG, captureFile: join(dir, 'capture.raw') },
      );
      expect(result.error).to.equal(undefined);
      expect(result.sinkCreated).to.equal(false);
      expect(exitCode).to.equal(0);
      const warnings = result.logs.filter((l) => l.level === WARN);
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.deep.include({ device: 'no-such-speaker', available: ['vrpg_capture', 'default'] });
      expect(String(warnings[0]!.reason)).to.contain('vrpg_capture');
    });

    it('returns null and warns once when PortAudio finds no output device', async () => {
      const { result, exitCode } = await runPlayer(
        { sampleRate: 22_050, frameCount: 5, createAttempts: 2 },
        { alsaConfig: NO_DEVICES_CONFIG },
      );
      expect(result.error).to.equal(undefined);
      expect(result.sinkCreated).to.equal(false);
      expect(exitCode).to.equal(0);
      const warnings = result.logs.filter((l) => l.level === WARN);
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.deep.include({ device: 'default', available: [] });
    });

    it('with required (say without --out) throws the reason instead of warning when PortAudio finds no output device', async () => {
      const { result } = await runPlayer(
        { sampleRate: 22_050, frameCount: 5, options: { required: true } },
        { alsaConfig: NO_DEVICES_CONFIG },
      );
      expect(result.sinkCreated).to.equal(false);
      expect(result.error).to.match(/^Error: no audio output could be opened: no audio output device \(asked for "default"\); PortAudio found none/);
      expect(result.logs.filter((l) => l.level === WARN)).to.have.length(0);
    });

    it('opens the device a case-insensitive part of its name selects', async () => {
      const captureFile = join(dir, 'capture.raw');
      const { result } = await runPlayer(
        { sampleRate: 22_050, frameCount: 4, options: { device: 'CAPT' } },
        { alsaConfig: CAPTURE_CONFIG, captureFile },
      );
      expect(result.sinkCreated).to.equal(true);
      expect(result.logs.find((l) => l.msg === 'native audio output open')).to.include({ device: 'vrpg_capture' });
      expect(readFileSync(captureFile).indexOf(expectedRampBytes(4, 441))).to.be.at.least(0);
    });

    it('opens a device by its PortAudio id', async () => {
      const { result } = await runPlayer(
        { sampleRate: 22_050, frameCount: 2, options: { device: 1, framesPerBuffer: 256 } },
        { alsaConfig: CAPTURE_CONFIG, captureFile: join(dir, 'capture.raw') },
      );
      expect(result.sinkCreated).to.equal(true);
      expect(result.logs.find((l) => l.msg === 'native audio output open')).to.include({
        device: 'default',
        framesPerBuffer: 256,
      });
    });
  });
});
