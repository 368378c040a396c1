/**
 * Measures the espeak engine on this machine: worker start-up and instantiation time, then for
 * ~100- and ~250-character English chunks the time to first block, synthesis time and real-time factor.
 * Run: `npx tsx plugins/tts-espeak/measure.ts [rounds]` (default 5 rounds; the first round of each size is warm-up).
 */
import { pino } from 'pino';
import { EspeakEngine, type SynthesisReport } from './espeak-engine.ts';
import { espeakOptionsSchema } from './options.ts';

const TEXTS = {
  short: 'The ancient door creaks open, revealing a dusty hall lit by flickering torches. Water drips slowly.',
  long:
    'The ancient door creaks open, revealing a dusty hall lit by flickering torches. Somewhere ahead, water drips ' +
    'slowly onto cold stone. Kaela raises her lantern and spots fresh footprints leading toward a spiral staircase, ' +
    'while the paladin keeps watch.',
};

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const rounds = Number(process.argv[2] ?? 5);
const engine = new EspeakEngine(espeakOptionsSchema.parse({}), pino({ level: 'silent' }));
const t0 = performance.now();
await engine.init();
const initMs = performance.now() - t0;
const status = engine.status();
console.log(`init (worker start + instantiation): ${initMs.toFixed(0)} ms; instantiation in worker: ${status.workers[0].instantiationMs?.toFixed(0)} ms, warm-up synthesis: ${status.workers[0].warmupMs?.toFixed(0)} ms`);

for (const [size, text] of Object.entries(TEXTS)) {
  const reports: SynthesisReport[] = [];
  const off = engine.onReport((r) => reports.push(r));
  const mainFirst: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    const start = performance.now();
    let first: number | undefined;
    for await (const _block of engine.synthesize({ narrationId: 'm', index: i, text, language: 'en' }, undefined, new AbortController().signal)) {
      first ??= performance.now() - start;
    }
    if (i > 0) mainFirst.push(first ?? NaN);
  }
  off();
  const r = reports.slice(1);
  console.log(
    `${size} (${text.length} chars, ${r[0].audioSeconds.toFixed(2)} s audio, ${r[0].blocks} blocks): ` +
      `first block median ${median(r.map((x) => x.firstBlockMs ?? NaN)).toFixed(1)} ms in worker / ${median(mainFirst).toFixed(1)} ms at consumer; ` +
      `synth median ${median(r.map((x) => x.synthMs)).toFixed(0)} ms (min ${Math.min(...r.map((x) => x.synthMs)).toFixed(0)}, max ${Math.max(...r.map((x) => x.synthMs)).toFixed(0)}); ` +
      `RTF median ${median(r.map((x) => x.rtf)).toFixed(3)}; first round after init: synth ${reports[0].synthMs.toFixed(0)} ms, first block ${reports[0].firstBlockMs?.toFixed(1)} ms`,
  );
}
console.log(`charsPerSecond(en) after measuring: ${engine.charsPerSecond('en').toFixed(1)}`);
await engine.close();
