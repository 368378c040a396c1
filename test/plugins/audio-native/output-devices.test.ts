import { expect } from 'chai';
import {
  formatDeviceTable,
  OutputDeviceNotFoundError,
  resolveOutputDevice,
  type OutputDevice,
} from '../../../plugins/audio-native/output-devices.ts';
import { CAPTURE_CONFIG, NO_DEVICES_CONFIG, runPlayer } from '../../fixtures/alsa/run-player.ts';

const device = (id: number, name: string): OutputDevice => ({
  id,
  name,
  maxOutputChannels: 2,
  defaultSampleRate: 44_100,
  hostAPIName: 'ALSA',
});
const devices = [device(0, 'HDA Intel PCH: ALC3246 Analog (hw:0,0)'), device(1, 'pulse'), device(2, 'Pulse Echo'), device(3, 'default')];

describe('output devices', () => {
  describe('resolveOutputDevice', () => {
    it("maps 'default' to PortAudio's default output (id -1)", () => {
      expect(resolveOutputDevice(devices, 'default')).to.deep.equal({ deviceId: -1, name: 'default' });
    });

    it('finds a device by id', () => {
      expect(resolveOutputDevice(devices, 2)).to.deep.equal({ deviceId: 2, name: 'Pulse Echo' });
    });

    it('prefers an exact case-insensitive name over a name containing it', () => {
      expect(resolveOutputDevice(devices, 'PULSE')).to.deep.equal({ deviceId: 1, name: 'pulse' });
    });

    it('falls back to the first name containing the selector, case-insensitively', () => {
      expect(resolveOutputDevice(devices, 'alc3246').deviceId).to.equal(0);
      expect(resolveOutputDevice(devices, 'echo').deviceId).to.equal(2);
    });

    it('throws naming the selector and listing the devices when none matches', () => {
      expect(() => resolveOutputDevice(devices, 'usb headset'))
        .to.throw(OutputDeviceNotFoundError, /"usb headset".*0: HDA Intel.*1: pulse.*3: default/);
      expect(() => resolveOutputDevice(devices, 9)).to.throw(OutputDeviceNotFoundError, /matches 9/);
    });

    it('throws, even for default, when there is no device at all', () => {
      expect(() => resolveOutputDevice([], 'default')).to.throw(OutputDeviceNotFoundError, /PortAudio found none/);
    });
  });

  describe('formatDeviceTable', () => {
    it('renders a header and one aligned row per device', () => {
      const lines = formatDeviceTable([device(0, 'default'), device(12, 'vrpg_capture')]).split('\n');
      expect(lines).to.have.length(3);
      expect(lines[0]).to.match(/^ID\s+NAME\s+CHANNELS\s+RATE \(Hz\)\s+HOST API$/);
      expect(lines[2]).to.match(/^12\s+vrpg_capture\s+2\s+44100\s+ALSA$/);
      const nameColumn = lines[0]!.indexOf('NAME');
      expect(lines[1]!.indexOf('default')).to.equal(nameColumn);
      expect(lines[2]!.indexOf('vrpg_capture')).to.equal(nameColumn);
    });

    it('says so when there are no devices', () => {
      expect(formatDeviceTable([])).to.equal('No audio output devices found.');
    });
  });

  describe('listOutputDevices (real PortAudio, fixture ALSA configs)', () => {
    it('lists the fixture capture device and the default device', async () => {
      const { result, exitCode } = await runPlayer({ sampleRate: 22_050, frameCount: 0, listOnly: true }, { alsaConfig: CAPTURE_CONFIG });
      expect(exitCode).to.equal(0);
      expect(result.devices?.map((d) => d.name)).to.deep.equal(['vrpg_capture', 'default']);
      expect(result.devices?.[0]).to.include({ id: 0, hostAPIName: 'ALSA' });
      expect(result.devices?.[0]?.maxOutputChannels).to.be.greaterThan(0);
    });

    it('lists nothing when ALSA has no usable device', async () => {
      const { result } = await runPlayer({ sampleRate: 22_050, frameCount: 0, listOnly: true }, { alsaConfig: NO_DEVICES_CONFIG });
      expect(result.error).to.equal(undefined);
      expect(result.devices).to.deep.equal([]);
    });
  });
});
