import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startTableServer } from '../app.ts';
import type { NarrationReport } from '../narration/narration.ts';
import type { RoomReport } from '../narration/narration-service.ts';
import { configFor, type CommonOptions } from './common.ts';
import { llmPluginOptions, type LlmFlags } from './llm-flags.ts';
import { TableClient, type TableReply } from './table-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const LONG_NARRATION =
  'The crypt stretches far beyond the torchlight, and every step echoes from walls carved with the names of forgotten kings. ' +
  'Dust falls from the vaulted ceiling as something heavy shifts in the dark, while the air grows colder with each breath you take, ' +
  'and somewhere ahead a low chant rises and falls like the sea against a broken shore.';

const STREAMED =
  'The lich raises a skeletal hand. Green fire gathers between its fingers, and for a moment the whole chamber holds its breath. ' +
  'Then the spell breaks loose, washing over the party in a wave of cold light.';

/** The DM's request to the language model (`--llm-url`): the location the demo's party has just entered. */
const LLM_PROMPT = 'The party steps into the Sunken Crypt, where water drips from the ceiling. Describe it in two sentences.';

/**
 * Longest wait for the language model's narration to end, ms. The plugin's `timeoutMs` (15 s) bounds each
 * wait for a token; this bounds the whole answer: 300 tokens (`maxTokens`) at a CPU's ~3 tokens/s is 100 s,
 * and the speech runs behind it.
 */
const LLM_NARRATION_TIMEOUT_MS = 300_000;

/** The demo ended without success (a step refused, the language model failed): one line on stderr says why, the exit code is 1. */
class DemoFailed extends Error {}

/**
 * `demo --out DIR`: boots the server in-process, creates a table room, seats a DM
 * and two players with the official SDK over real WebSockets, and plays a scripted
 * session: a player joins, the party enters a location, a dice roll, combat starts
 * and interrupts a long narration, DM free text, a streamed narration delta by
 * delta (as an LLM would), pause/resume, and a cancel. Writes `DIR/report.json`
 * and `DIR/room-<roomId>.wav` (every frame the room's sinks received, silence included).
 *
 * With `--llm-url` (issue 14) the plugin llm-openai is mounted ({@link llmPluginOptions}) and, once the
 * party has entered the location, the DM asks the language model to describe it (`narrate_llm`); the
 * demo prints the model's text, its chunks and time to first audio.
 *
 * Exit code 1, with one `vrpg-narrator: demo: …` line on stderr, when a step is refused or the language
 * model's narration fails (its report's `error`); the demo stops there and writes no report.
 * @throws ConfigError for bad flags or config (exit 2), including a model list `--llm-url` cannot give
 */
export async function runDemo(opts: CommonOptions & LlmFlags & { out: string }): Promise<void> {
  try {
    await demo(opts);
  } catch (err) {
    if (!(err instanceof DemoFailed)) throw err;
    process.stderr.write(`vrpg-narrator: demo: ${err.message}\n`);
    process.exitCode = 1;
  }
}

async function demo(opts: CommonOptions & LlmFlags & { out: string }): Promise<void> {
  const out = resolve(opts.out);
  const overrides: Record<string, unknown> = { port: 0, host: '127.0.0.1', recordingsDir: out, sinks: ['wav'] };
  // The flags are checked (and the model listed) before anything starts: a bad flag costs no boot.
  const llm = await llmPluginOptions(opts, configFor({ ...opts, logLevel: opts.logLevel ?? 'warn' }).config);
  if (llm) overrides['plugins.llm-openai'] = llm;
  mkdirSync(out, { recursive: true });
  const { config, log } = configFor({ ...opts, logLevel: opts.logLevel ?? 'warn' }, overrides);
  const started = performance.now();
  const app = await startTableServer(config, log);
  const endpoint = `ws://127.0.0.1:${app.port}`;
  const step = (what: string) => process.stderr.write(`[demo ${((performance.now() - started) / 1000).toFixed(1)} s] ${what}\n`);
  let roomId = '';
  // The narrator releases a room's reports when the room closes (everyone left): report.json is
  // the DM's `narration:end` reports, in the order the narrations were requested.
  let narrations: NarrationReport[] = [];
  try {
    const dm = await TableClient.create(endpoint, { name: 'Mira', dmSecret: config.dmSecret });
    roomId = dm.room.roomId;
    step(`room ${roomId}: DM seated`);
    const ana = await TableClient.join(endpoint, roomId, { name: 'Ana' });
    const ids: string[] = [];
    const expectOk = (r: TableReply): string => {
      if (!r.ok) throw new DemoFailed(`step refused: ${r.type}: ${r.message}`);
      ids.push(r.narrationId);
      return r.narrationId;
    };
    const speaking = (id: string) => dm.waitForState((s) => s.narration.narrationId === id && s.narration.status === 'speaking', 15_000);

    step('a player joins');
    const bruno = await TableClient.join(endpoint, roomId, { name: 'Bruno' });
    await dm.waitForEnd(expectOk(await bruno.request('event', { type: 'player_joined', name: 'Bruno' })));

    step('the party enters a location');
    await dm.waitForEnd(expectOk(await dm.request('event', { type: 'enter_location', location: 'the Sunken Crypt', description: 'Water drips from the ceiling.' })));

    if (llm) {
      step(`the DM asks the language model ${llm.model} to describe the place`);
      const written = await dm.waitForEnd(expectOk(await dm.request('narrate_llm', { prompt: LLM_PROMPT })), LLM_NARRATION_TIMEOUT_MS);
      // What was spoken before a fault stays in the room; the step still failed.
      if (written.error !== null) throw new DemoFailed(`the language model's narration failed: ${written.error}`);
      const firstAudio = written.ttfaMs === null ? 'no audio' : `first audio after ${written.ttfaMs} ms`;
      step(`the model wrote (${written.chunks} chunks, ${firstAudio}): ${JSON.stringify(written.text)}`);
    }

    step('a dice roll');
    await dm.waitForEnd(expectOk(await ana.request('event', { type: 'dice_roll', name: 'Ana', dice: '1d20+5', result: 17 })));

    step('a long narration, interrupted by combat');
    const long = expectOk(await dm.request('narrate', { text: LONG_NARRATION }));
    await speaking(long);
    await sleep(1500);
    const combat = expectOk(await dm.request('event', { type: 'combat_start', enemies: 'Three ghouls' }));
    await dm.waitForEnd(long);
    await dm.waitForEnd(combat);

    step('DM free text');
    await dm.waitForEnd(expectOk(await dm.request('narrate', { text: 'Bruno, the ghoul lunges at you. Make a Dexterity saving throw, DC 13.' })));

    step('DM streams text delta by delta');
    const streamed = expectOk(await dm.request('narrate_start', {}));
    for (let i = 0; i < STREAMED.length; ) {
      const n = 2 + ((i * 7) % 5); // 2–6 characters, like LLM tokens
      dm.send('narrate_delta', { text: STREAMED.slice(i, i + n) });
      i += n;
      await sleep(15);
    }
    dm.send('narrate_end');
    await dm.waitForEnd(streamed);

    step('DM pauses and resumes');
    const paused = expectOk(await dm.request('narrate', { text: 'The ghouls circle the party, hungry eyes glinting, waiting for the first to falter. Ana raises her shield.' }));
    await speaking(paused);
    await sleep(800);
    dm.send('pause');
    await dm.waitForState((s) => s.narration.status === 'paused');
    await sleep(600);
    dm.send('resume');
    await dm.waitForEnd(paused);

    step('DM cancels');
    const cancelled = expectOk(await dm.request('narrate', { text: LONG_NARRATION }));
    await speaking(cancelled);
    await sleep(1000);
    dm.send('cancel');
    await dm.waitForEnd(cancelled);
    await sleep(200); // a little trailing silence in the recording

    narrations = ids.flatMap((id) => dm.reports.get(id) ?? []);
    for (const c of [bruno, ana, dm]) await c.leave();
  } finally {
    await app.close();
  }
  // The `wav` sink's file in `out` (recordingsDir), named as NarrationService.wavPathOf names it.
  const room: RoomReport = { roomId, wav: `room-${roomId}.wav`, sampleRate: app.narrator.engine.sampleRate, narrations };
  const report = { rooms: [room] };
  writeFileSync(join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  printSummary(report.rooms.flatMap((r) => r.narrations));
  step(`wrote ${join(out, 'report.json')} and ${join(out, `room-${roomId}.wav`)}`);
}

function printSummary(narrations: NarrationReport[]): void {
  const rows = narrations.map((n) => ({
    trigger: n.trigger,
    chunks: n.chunks,
    ttfaMs: n.ttfaMs,
    audioMs: n.audioMs,
    rtf: n.rtf,
    underruns: n.underruns,
    cancelled: n.cancelled,
    cancelLatencyMs: n.cancelLatencyMs,
    paused: n.paused,
  }));
  console.table(rows);
}
