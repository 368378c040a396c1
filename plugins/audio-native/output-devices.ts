import { loadNaudiodon } from './naudiodon-binding.ts';

/** One PortAudio device that can play audio, as `vrpg-narrator devices` lists it. */
export interface OutputDevice {
  /** PortAudio device index; valid until the device set changes (plug/unplug). */
  readonly id: number;
  /** Host API's device name, e.g. `default`, `pulse`, `HDA Intel PCH: ALC3246 Analog (hw:0,0)`. */
  readonly name: string;
  /** Most output channels the device takes. */
  readonly maxOutputChannels: number;
  /** Device's preferred sample rate, Hz (PortAudio resamples through ALSA `plug` otherwise). */
  readonly defaultSampleRate: number;
  /** e.g. `ALSA`, `OSS`, `Core Audio`. */
  readonly hostAPIName: string;
}

/** Which output device the options ask for: `'default'`, a PortAudio id, or a name (see options.ts). */
export type DeviceSelector = 'default' | number | string;

/** Thrown by {@link resolveOutputDevice} when no output device matches; the message lists the devices there are. */
export class OutputDeviceNotFoundError extends Error {
  constructor(
    readonly selector: DeviceSelector,
    readonly available: readonly OutputDevice[],
  ) {
    const names = available.map((d) => `${d.id}: ${d.name}`).join(', ');
    super(
      available.length === 0
        ? `no audio output device (asked for ${JSON.stringify(selector)}); PortAudio found none`
        : `no audio output device matches ${JSON.stringify(selector)}; available: ${names}`,
    );
    this.name = 'OutputDeviceNotFoundError';
  }
}

/**
 * Picks the device a selector names among output devices.
 * `'default'` → PortAudio's default output device (returned as id -1, which
 * naudiodon's `deviceId` takes to mean "default"), provided any output device exists.
 * A number → the device with that id. A string → exact case-insensitive name,
 * else the first device whose name contains it case-insensitively.
 * @returns `{ deviceId, name }` to open the stream with.
 * @throws OutputDeviceNotFoundError listing the available devices.
 */
export function resolveOutputDevice(
  devices: readonly OutputDevice[],
  selector: DeviceSelector,
): { deviceId: number; name: string } {
  if (devices.length === 0) throw new OutputDeviceNotFoundError(selector, devices);
  if (selector === 'default') return { deviceId: -1, name: 'default' };
  let found: OutputDevice | undefined;
  if (typeof selector === 'number') {
    found = devices.find((d) => d.id === selector);
  } else {
    const wanted = selector.toLowerCase();
    found =
      devices.find((d) => d.name.toLowerCase() === wanted) ??
      devices.find((d) => d.name.toLowerCase().includes(wanted));
  }
  if (!found) throw new OutputDeviceNotFoundError(selector, devices);
  return { deviceId: found.id, name: found.name };
}

/**
 * Output devices PortAudio sees now (devices with at least one output channel).
 * Enumeration opens each device briefly, so it can take a moment; ALSA may print
 * probe errors to stderr for devices it cannot open.
 * @throws Error naming the reason when naudiodon cannot be loaded.
 */
export async function listOutputDevices(): Promise<OutputDevice[]> {
  const portAudio = loadNaudiodon();
  return portAudio
    .getDevices()
    .filter((d) => d.maxOutputChannels > 0)
    .map(({ id, name, maxOutputChannels, defaultSampleRate, hostAPIName }) => ({
      id,
      name,
      maxOutputChannels,
      defaultSampleRate,
      hostAPIName,
    }));
}

/**
 * Renders devices as a fixed-width text table (id, name, channels, rate, host API),
 * one device a line, for the `devices` command; a one-line notice when there are none.
 */
export function formatDeviceTable(devices: readonly OutputDevice[]): string {
  if (devices.length === 0) return 'No audio output devices found.';
  const header = ['ID', 'NAME', 'CHANNELS', 'RATE (Hz)', 'HOST API'];
  const rows = devices.map((d) => [
    String(d.id),
    d.name,
    String(d.maxOutputChannels),
    String(Math.round(d.defaultSampleRate)),
    d.hostAPIName,
  ]);
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => r[col]!.length)));
  const line = (cells: string[]) => cells.map((c, col) => c.padEnd(widths[col]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
