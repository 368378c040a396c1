import 'reflect-metadata';
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { AppConfigSchema } from '../../server/config/schema.ts';
import { buildContainer } from '../../server/host/plugin-host.ts';
import { TOKENS } from '../../server/tokens.ts';
import { isAbortError, type TtsEngine } from '../../server/synthesis/tts-engine.ts';
import { INSTANT_MAX_CHARS, INSTANT_SAMPLE_RATE } from '../../test/fixtures/plugins/instant-engine/index.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/plugins/', import.meta.url));

async function engineWith(options: Record<string, unknown> = {}): Promise<TtsEngine> {
  const config = AppConfigSchema.parse({
    plugins: { 'instant-engine': options }, pluginDirs: [FIXTURES], engine: 'instant', sinks: ['wav'], log: { level: 'silent' },
  });
  const container = await buildContainer(config, { log: pino({ level: 'silent' }) });
  return container.getAll<TtsEngine>(TOKENS.TtsEngine).find((e) => e.name === 'instant')!;
}

async function collect(it: AsyncIterable<Float32Array>): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for await (const b of it) out.push(b);
  return out;
}

const chunk = (text: string, language = 'en') => ({ narrationId: 'n1', index: 0, text, language });

describe('instant-engine fixture', () => {
  it('mounts through the plugin host as engine "instant" (22 050 Hz, en and pt, 250 chars)', async () => {
    const engine = await engineWith();
    expect(engine.sampleRate).to.equal(INSTANT_SAMPLE_RATE).and.equal(22_050);
    expect(engine.languages).to.deep.equal(['en', 'pt']);
    expect(engine.maxChars('en')).to.equal(INSTANT_MAX_CHARS).and.equal(250);
    expect(engine.charsPerSecond('pt')).to.equal(15);
  });

  it('yields one block of text length / charsPerSecond seconds, within [-amplitude, amplitude] and not silent', async () => {
    const engine = await engineWith({ charsPerSecond: 10, amplitude: 0.5 });
    const blocks = await collect(engine.synthesize(chunk('x'.repeat(25)), undefined, new AbortController().signal));
    expect(blocks).to.have.length(1);
    expect(blocks[0]!.length).to.equal(Math.round(2.5 * 22_050));
    let peak = 0;
    for (const s of blocks[0]!) peak = Math.max(peak, Math.abs(s));
    expect(peak).to.be.greaterThan(0.3).and.at.most(0.5);
  });

  it('gives a fresh buffer every call, so a transferred block never detaches the next one', async () => {
    const engine = await engineWith();
    const [a] = await collect(engine.synthesize(chunk('hello there'), undefined, new AbortController().signal));
    structuredClone(a!.buffer, { transfer: [a!.buffer as ArrayBuffer] });
    const [b] = await collect(engine.synthesize(chunk('hello there'), undefined, new AbortController().signal));
    expect(a!.length).to.equal(0);
    expect(b!.length).to.equal(Math.round((11 / 15) * 22_050));
  });

  it('covers chunks longer than its precomputed signal', async () => {
    const engine = await engineWith({ charsPerSecond: 1 });
    const [block] = await collect(engine.synthesize(chunk('y'.repeat(70)), undefined, new AbortController().signal));
    expect(block!.length).to.equal(70 * 22_050);
    expect(block![65 * 22_050 + 100]).to.not.equal(0);
  });

  it('rejects with an AbortError when the signal is aborted and names an unsupported language', async () => {
    const engine = await engineWith();
    const ac = new AbortController();
    ac.abort();
    const err = await collect(engine.synthesize(chunk('hi'), undefined, ac.signal)).catch((e: unknown) => e);
    expect(isAbortError(err)).to.equal(true);
    const bad = await collect(engine.synthesize(chunk('hi', 'fr'), undefined, new AbortController().signal)).catch((e: Error) => e);
    expect((bad as Error).message).to.match(/language "fr" is not supported; allowed: en, pt/);
  });
});
