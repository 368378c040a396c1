import 'reflect-metadata';
import { Command, Option } from 'commander';
import { ConfigError } from '../config/config-error.ts';
import { runServe } from './serve-command.ts';
import { runSay } from './say-command.ts';
import { runChunk } from './chunk-command.ts';
import { runDemo } from './demo-command.ts';
import { runDevices } from './devices-command.ts';
import { runPluginCommand } from './plugin-command.ts';

/**
 * `vrpg-narrator`: the game server and its tools. Every command reads the same
 * config (file + `VRPG_*` env); a ConfigError prints the key at fault and exits 2.
 */
const program = new Command()
  .name('vrpg-narrator')
  .description('Real-time narration for multiplayer tabletop sessions')
  .showHelpAfterError();

const configOption = () => new Option('-c, --config <file>', 'JSON config file (every key overridable by VRPG_* env variables)');
const logOption = () => new Option('--log-level <level>', 'pino log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

program
  .command('serve')
  .description('start the game server (Colyseus) with the table room; same as npm start')
  .addOption(configOption())
  .addOption(new Option('-p, --port <port>', 'TCP port (default 2567, or PORT)').argParser(parsePort))
  .addOption(new Option('--redis <url>', 'Redis shared by several server processes, redis://host:port (config redisUrl, VRPG_REDIS_URL); README "Scaling out"'))
  .addOption(new Option('--public-address <host:port>', 'how clients reach this process, host[:port][/path] without scheme (config publicAddress, VRPG_PUBLIC_ADDRESS)'))
  .addOption(logOption())
  .action((opts) => runServe(opts));

program
  .command('demo')
  .description('boot the server in-process, play a scripted table session over real WebSockets, write report.json and the room WAV; with --llm-url, a language model describes a place')
  .requiredOption('-o, --out <dir>', 'output folder for report.json and room-<roomId>.wav')
  .addOption(new Option('--llm-url <url>', 'OpenAI-compatible server (llama-server, Ollama, vLLM…), e.g. http://127.0.0.1:8080/v1: mounts plugin llm-openai and adds a step where the DM asks the model to describe the place'))
  .addOption(new Option('--llm-model <name>', 'model to ask (default: the first one GET <url>/models lists)'))
  .addOption(new Option('--llm-prelude-model <name>', 'small, fast model on the same server that speaks a first sentence while the main model writes'))
  .addOption(new Option('--llm-key-env <VAR>', 'environment variable holding the API key (not the key itself: a command line shows in ps)'))
  .addOption(configOption())
  .addOption(logOption())
  .action((opts) => runDemo(opts));

program
  .command('say')
  .description('narrate one text through the full pipeline to a WAV file and/or an audio device')
  .argument('<text>', 'text to narrate')
  .option('-o, --out <file.wav>', 'write the audio the sinks received to this WAV file')
  .option('-d, --device <name>', 'play on this output device (name, part of a name, or index; see `devices`)')
  .option('-l, --lang <code>', 'language, e.g. en or pt')
  .option('-e, --engine <name>', 'TTS engine (espeak, xtts); default: the configured engine')
  .option('--xtts-url <url>', 'XTTS server (coqui xtts-streaming-server) to synthesize with; implies --engine xtts')
  .option('--model-dir <dir>', 'exported XTTS-v2 ONNX model folder to synthesize with in this process; implies --engine xtts')
  .option('--seed <n>', 'XTTS sampling seed (onnx backend): the same seed gives the same audio', (v) => Number.parseInt(v, 10))
  .option('--voice-wav <file.wav>', 'reference WAV (3–30 s) to clone the voice from (through the XTTS server, or the model\'s encoders with --model-dir)')
  .option('--voice <name>', 'voice name (a configured voice, or the name for --voice-wav)')
  .addOption(configOption())
  .addOption(logOption())
  .action((text, opts) => runSay(text, opts));

program
  .command('chunk')
  .description('split text from stdin into narration chunks; one JSON object per line')
  .option('-l, --lang <code>', 'language, e.g. en or pt')
  .option('-e, --engine <name>', 'engine whose character limit and speaking rate apply (default: the configured engine)')
  .addOption(configOption())
  .action((opts) => runChunk(opts));

program
  .command('devices')
  .description('list audio output devices PortAudio sees (for --device and plugins.audio-native.device)')
  .option('--json', 'print JSON')
  .addOption(configOption())
  .action((opts) => runDevices(opts));

program
  .command('gpu')
  .description('show the detected GPU(s), the tier, every synthesis config value and where it came from (plugin gpu-tier)')
  .option('--json', 'print JSON')
  .addOption(configOption())
  .action((opts) => runPluginCommand('gpu-tier', 'gpu', opts));

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('--port', `"${value}" is not a port number (0–65535)`);
  return port;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`vrpg-narrator: config error: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`vrpg-narrator: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
}
