import { mountPlugins } from '../host/plugin-host.ts';
import type { OutputDeviceInfo } from '../host/plugin.ts';
import { configFor, type CommonOptions } from './common.ts';

/** `devices`: the output devices that mounted sink plugins (audio-native: PortAudio) see. */
export async function runDevices(opts: CommonOptions & { json?: boolean }): Promise<void> {
  const { config } = configFor(opts);
  const rows: Array<OutputDeviceInfo & { plugin: string }> = [];
  for (const { descriptor } of await mountPlugins(config)) {
    if (!descriptor.listOutputDevices) continue;
    for (const d of await descriptor.listOutputDevices()) rows.push({ plugin: descriptor.name, ...d });
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('no output devices (narration still records to WAV; see README "No audio device")\n');
    return;
  }
  for (const d of rows) {
    process.stdout.write(`${String(d.id).padStart(3)}  ${d.name}  [${d.plugin}${d.hostAPIName ? `, ${d.hostAPIName}` : ''}${d.defaultSampleRate ? `, ${d.defaultSampleRate} Hz` : ''}]\n`);
  }
}
