import 'reflect-metadata';
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { startTableServer, type TableServer } from '../../../server/app.ts';
import { TableClient } from '../../../server/cli/table-client.ts';
import type { NarrationReport } from '../../../server/narration/narration.ts';
import { instantConfig } from '../../fixtures/instant-config.ts';
import { startOpenAiStandIn, type OpenAiStandIn, type RecordedRequest, type StandInModel } from '../../../tools/llm-stand-in/openai-stand-in.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const epochMs = () => performance.timeOrigin + performance.now();

const ANSWER =
  'Torchlight spills across a vaulted hall of cracked marble. Water drips somewhere in the dark, and the smell of old smoke lingers, '
  + 'as if a fire burned here not long ago.';

/** A log that keeps every line, to check what reaches logs (privacy). */
function capturingLog(level: pino.LevelWithSilent = 'debug') {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { log: pino({ level }, stream), lines };
}

async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

const RULES = {
  enter_location: { llm: { prompt: 'The party enters {location}. Describe it in two sentences.' }, priority: 'queue' },
  open_door: { llm: { prompt: 'A door opens onto {place}.' }, template: 'The door opens onto {place}.', priority: 'queue' },
  note: { template: '{text}', priority: 'queue' },
};

/**
 * Issue 14: narration written live by a language model, through a real Colyseus server and official
 * SDK clients, against a stand-in OpenAI-compatible SSE server (tools/llm-stand-in: the wire format,
 * scripted replies on a schedule; no model runs here). Engine: the instant fixture engine.
 */
describe('llm-openai: narration written by a language model (real Colyseus server + SDK, stand-in OpenAI-compatible SSE server, instant engine)', function () {
  this.timeout(60_000);
  let llm: OpenAiStandIn;
  let app: TableServer | null = null;
  const clients: TableClient[] = [];

  before(async () => {
    llm = await startOpenAiStandIn({});
  });
  after(async () => {
    await llm.close();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.leave()));
    await app?.close();
    app = null;
  });

  async function serve(plugin: Record<string, unknown>, overrides: Record<string, unknown> = {}, log = capturingLog('warn').log): Promise<TableClient> {
    app = await startTableServer(
      instantConfig({ rules: RULES, plugins: { 'llm-openai': { url: llm.url, model: 'main', ...plugin } }, ...overrides }, 100),
      log,
    );
    const dm = await TableClient.create(`ws://127.0.0.1:${app.port}`, { name: 'Mira', seat: 'dm' });
    clients.push(dm);
    return dm;
  }

  function model(name: string, m: Partial<StandInModel>): void {
    llm.setModel(name, { reply: ANSWER, ttftMs: 50, tokensPerSecond: 200, ...m });
  }

  const metricsText = async () => (await fetch(`http://127.0.0.1:${app!.port}/metrics`)).text();
  const requestsOf = (name: string, from: number) => llm.requests.slice(from).filter((r) => r.model === name);

  /** Captions the client heard, with the epoch ms each arrived. */
  function captions(c: TableClient) {
    const seen: Array<{ narrationId: string; index: number; text: string; atMs: number }> = [];
    c.room.onMessage('narration:caption', (m: { narrationId: string; index: number; text: string }) => seen.push({ ...m, atMs: epochMs() }));
    return seen;
  }

  async function accepted(dm: TableClient, command: 'event' | 'narrate_llm' | 'narrate', payload: unknown): Promise<string> {
    const reply = await dm.request(command, payload);
    if (!reply.ok) throw new Error(`refused: ${reply.message}`);
    return reply.narrationId;
  }

  it('an event rule with `llm` narrates the streamed answer, filled from the event; first audio comes before the model finished writing', async () => {
    // 10 tokens/s: the answer takes ~3 s to write, its first safe chunk ~1 s.
    model('main', { ttftMs: 100, tokensPerSecond: 10 });
    const dm = await serve({});
    const heard = captions(dm);
    const from = llm.requests.length;
    const id = await accepted(dm, 'event', { type: 'enter_location', location: 'the drowned chapel' });
    const report = await dm.waitForEnd(id);
    const [req] = requestsOf('main', from) as [RecordedRequest];
    expect(req.body.messages.at(-1)).to.deep.equal({ role: 'user', content: 'The party enters the drowned chapel. Describe it in two sentences.' });
    expect(req.body.stream).to.equal(true);
    // The persona and the table's language (config `language`) lead the system message.
    expect(req.body.messages[0]!.role).to.equal('system');
    expect(req.body.messages[0]!.content).to.match(/narrator of a tabletop role-playing game[\s\S]*Write the narration in English\./);
    expect(report.text).to.equal(ANSWER);
    expect(report.error).to.equal(null);
    expect(report.chunks).to.be.greaterThan(1);
    const first = heard.find((c) => c.narrationId === id && c.index === 0)!;
    const lastToken = req.tokens.at(-1)!.atMs;
    // The first chunk was heard while the model was still writing (a whole answer first would put it after the last token).
    expect(first.atMs).to.be.lessThan(lastToken);
    expect(ANSWER.startsWith(first.text)).to.equal(true);
  });

  it('the DM\'s narrate_llm narrates the answer to the prompt; a player may not send it', async () => {
    model('main', {});
    const dm = await serve({});
    const player = await TableClient.join(`ws://127.0.0.1:${app!.port}`, dm.room.roomId, { name: 'Ana' });
    clients.push(player);
    const refused = await player.request('narrate_llm', { prompt: 'Describe the inn.' });
    expect(refused).to.deep.include({ ok: false });
    const id = await accepted(dm, 'narrate_llm', { prompt: 'Describe the inn.' });
    const report = await dm.waitForEnd(id);
    expect(report.trigger).to.equal('dm:llm');
    expect(report.text).to.equal(ANSWER);
    const bad = await dm.request('narrate_llm', { prompt: '' });
    expect(bad).to.deep.include({ ok: false });
  });

  describe('prelude', () => {
    const PRELUDE = 'The air turns cold.';
    const MAIN = `${PRELUDE} Frost creeps along the walls of the chapel, and your breath hangs in pale clouds before you.`;

    it('the prelude is spoken first and the main model continues it, without repeating it', async () => {
      model('small', { reply: `${PRELUDE} And more words the prelude should never say.`, ttftMs: 30, tokensPerSecond: 100 });
      model('main', { reply: MAIN, ttftMs: 600, tokensPerSecond: 50, prefill: 'continue' });
      const dm = await serve({ prelude: { model: 'small', maxTokens: 30 } });
      const heard = captions(dm);
      const from = llm.requests.length;
      const id = await accepted(dm, 'narrate_llm', { prompt: 'The party reaches the chapel.' });
      const report = await dm.waitForEnd(id);
      expect(report.text).to.equal(MAIN);
      expect(heard.find((c) => c.narrationId === id && c.index === 0)!.text).to.equal(PRELUDE);
      const mains = requestsOf('main', from);
      expect(mains).to.have.length(2);
      // The first main request was closed before it wrote; the second continues the prelude as the assistant's own start.
      expect(mains[0]!.closedByClient).to.equal(true);
      expect(mains[1]!.body.messages.at(-1)).to.deep.equal({ role: 'assistant', content: PRELUDE });
      // The prelude request was closed once its sentence was complete.
      const [small] = requestsOf('small', from);
      expect(small!.body.messages.at(-1)!.content).to.equal('The party reaches the chapel.');
      const metrics = await metricsText();
      expect(metrics).to.match(/vrpg_llm_requests_total\{role="main",outcome="closed"\} 1/);
      expect(metrics).to.match(/vrpg_llm_requests_total\{role="continuation",outcome="ok"\} 1/);
      expect(metrics).to.match(/vrpg_llm_first_token_ms_count\{role="prelude"\} 1/);
    });

    it('a server that starts over instead of continuing has its repetition of the prelude removed', async () => {
      model('small', { reply: PRELUDE, ttftMs: 30, tokensPerSecond: 100 });
      model('main', { reply: MAIN, ttftMs: 400, tokensPerSecond: 80, prefill: 'repeat' });
      const dm = await serve({ prelude: { model: 'small' } });
      const id = await accepted(dm, 'narrate_llm', { prompt: 'The party reaches the chapel.' });
      const report = await dm.waitForEnd(id);
      expect(report.text).to.equal(MAIN);
    });

    it('the prelude is dropped (its request closed) when the main model answers first', async () => {
      model('small', { reply: PRELUDE, ttftMs: 3000, tokensPerSecond: 100 });
      model('main', { reply: ANSWER, ttftMs: 30, tokensPerSecond: 200 });
      const dm = await serve({ prelude: { model: 'small' } });
      const from = llm.requests.length;
      const id = await accepted(dm, 'narrate_llm', { prompt: 'Describe the hall.' });
      const report = await dm.waitForEnd(id);
      expect(report.text).to.equal(ANSWER);
      const [small] = requestsOf('small', from);
      await small!.closed;
      expect(small!.closedByClient).to.equal(true);
      expect(small!.tokens).to.have.length(0);
      expect(requestsOf('main', from)).to.have.length(1);
      expect(await metricsText()).to.match(/vrpg_llm_requests_total\{role="prelude",outcome="closed"\} 1/);
    });
  });

  it('cancel mid-stream closes both HTTP connections at once, and no audio of that narration follows', async () => {
    model('small', { reply: 'The wind rises.', ttftMs: 5000, tokensPerSecond: 10 });
    model('main', { reply: ANSWER, ttftMs: 5000, tokensPerSecond: 10 });
    const dm = await serve({ prelude: { model: 'small' } });
    const heard = captions(dm);
    const from = llm.requests.length;
    const id = await accepted(dm, 'narrate_llm', { prompt: 'Describe the storm.' });
    await until('both requests arrive', () => requestsOf('main', from).length === 1 && requestsOf('small', from).length === 1);
    const cancelledAt = epochMs();
    dm.send('cancel', {});
    const report = await dm.waitForEnd(id);
    const reqs = [...requestsOf('main', from), ...requestsOf('small', from)];
    await Promise.all(reqs.map((r) => r.closed));
    for (const r of reqs) {
      expect(r.closedByClient, r.model).to.equal(true);
      // Closed long before the 5 s the model would take to write: the cancel closed it.
      expect(r.closedAtMs! - cancelledAt, r.model).to.be.lessThan(4000);
    }
    expect(report.cancelled).to.equal(true);
    expect(report.audioMs).to.equal(0);
    expect(heard.filter((c) => c.narrationId === id)).to.have.length(0);
    expect(llm.openCount()).to.equal(0);
  });

  it('cancel after the first audio stops the model and its audio', async () => {
    model('main', { reply: `${ANSWER} ${ANSWER} ${ANSWER}`, ttftMs: 50, tokensPerSecond: 8 });
    const dm = await serve({});
    const heard = captions(dm);
    const from = llm.requests.length;
    const id = await accepted(dm, 'narrate_llm', { prompt: 'Go on.' });
    await until('the first caption', () => heard.some((c) => c.narrationId === id));
    dm.send('cancel', {});
    const report = await dm.waitForEnd(id);
    const [req] = requestsOf('main', from);
    await req!.closed;
    expect(req!.closedByClient).to.equal(true);
    expect(report.cancelled).to.equal(true);
    const written = req!.tokens.map((t) => t.text).join('');
    expect(written.length).to.be.lessThan(`${ANSWER} ${ANSWER} ${ANSWER}`.length);
    const after = heard.filter((c) => c.narrationId === id && c.atMs > epochMs());
    expect(after).to.have.length(0);
  });

  describe('faults: the DM gets llm_failed, what was spoken stays, the room narrates afterwards', () => {
    const FAULTS: Array<{ name: string; model: Partial<StandInModel>; message: RegExp; spoken: boolean }> = [
      { name: 'HTTP 500', model: { fault: { kind: 'status', status: 500, message: 'CUDA out of memory' } }, message: /HTTP 500: CUDA out of memory/, spoken: false },
      { name: 'HTTP 404 (unknown model)', model: { fault: { kind: 'status', status: 404 } }, message: /HTTP 404/, spoken: false },
      { name: 'no first token within timeoutMs', model: { fault: { kind: 'hang' } }, message: /no first token within 400 ms/, spoken: false },
      { name: 'stream cut without [DONE]', model: { fault: { kind: 'cut', afterTokens: 14 } }, message: /ended without \[DONE\]|broke after 14 token/, spoken: true },
      { name: 'malformed SSE line', model: { fault: { kind: 'malformed', afterTokens: 14 } }, message: /malformed event/, spoken: true },
      { name: 'a refusal', model: { fault: { kind: 'refusal', text: 'I cannot help with that.' } }, message: /refused: I cannot help with that/, spoken: false },
      { name: 'the content filter', model: { fault: { kind: 'content-filter', afterTokens: 14 } }, message: /content filter/, spoken: true },
      { name: 'an empty answer', model: { fault: { kind: 'empty' } }, message: /no speakable text/, spoken: false },
      { name: 'only stage directions', model: { reply: '*The narrator clears his throat.*' }, message: /no speakable text/, spoken: false },
    ];
    for (const f of FAULTS) {
      it(f.name, async () => {
        model('main', { tokensPerSecond: 100, ...f.model });
        const dm = await serve({ timeoutMs: 400 });
        const id = await accepted(dm, 'narrate_llm', { prompt: 'Describe the hall.' });
        const report = await dm.waitForEnd(id);
        await until('the error', () => dm.errors.some((e) => e.narrationId === id));
        const errors = dm.errors.filter((e) => e.narrationId === id);
        expect(errors, 'exactly one error for the narration').to.have.length(1);
        expect(errors[0]).to.deep.include({ type: 'narration:narrate_llm', code: 'llm_failed' });
        expect(errors[0]!.message).to.match(f.message);
        if (!f.message.source.includes('speakable')) expect(errors[0]!.message).to.match(/^language model main at http:\/\/127.0.0.1:\d+\/v1/);
        expect(report.error).to.match(f.message);
        if (f.spoken) {
          expect(report.audioMs).to.be.greaterThan(0);
          expect(ANSWER.startsWith(report.text.trim())).to.equal(true);
        }
        // Every connection of the failed request is closed (the server sees it within moments of our error).
        await until('the stand-in sees its connections closed', () => llm.openCount() === 0, 5000);
        expect(await metricsText()).to.match(/vrpg_llm_requests_total\{role="main",outcome="(http|timeout|stream|refused|ok|unreachable)"\} 1/);
        // The room carries on.
        model('main', {});
        const next = await dm.waitForEnd(await accepted(dm, 'narrate_llm', { prompt: 'Again.' }));
        expect(next.error).to.equal(null);
        expect(next.text).to.equal(ANSWER);
      });
    }

    it('a rule with a template narrates the template when the model fails before writing, and the DM is told', async () => {
      model('main', { fault: { kind: 'status', status: 503 } });
      const dm = await serve({});
      const id = await accepted(dm, 'event', { type: 'open_door', place: 'a flooded crypt' });
      const report = await dm.waitForEnd(id);
      expect(report.text.trim()).to.equal('The door opens onto a flooded crypt.');
      expect(report.error).to.equal(null);
      await until('the error', () => dm.errors.some((e) => e.narrationId === id));
      expect(dm.errors.find((e) => e.narrationId === id)).to.deep.include({ type: 'narration:event', code: 'llm_failed' });
      expect(dm.errors.find((e) => e.narrationId === id)!.message).to.match(/HTTP 503.*template was narrated instead/);
    });

    it('an unreachable server', async () => {
      // A port nothing listens on: bound, then closed.
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const { port } = probe.address() as AddressInfo;
      await new Promise((r) => probe.close(r));
      const dm = await serve({ url: `http://127.0.0.1:${port}/v1` });
      const id = await accepted(dm, 'narrate_llm', { prompt: 'Hello.' });
      await dm.waitForEnd(id);
      await until('the error', () => dm.errors.some((e) => e.narrationId === id));
      expect(dm.errors.find((e) => e.narrationId === id)!.message).to.match(/cannot connect.*ECONNREFUSED/);
    });
  });

  it('the answer is cut at limits.maxTextChars and the model stopped', async () => {
    model('main', { reply: `${ANSWER} ${ANSWER} ${ANSWER}`, tokensPerSecond: 100 });
    const dm = await serve({}, { 'limits.maxTextChars': 120 });
    const from = llm.requests.length;
    const id = await accepted(dm, 'narrate_llm', { prompt: 'Go on.' });
    const report = await dm.waitForEnd(id);
    expect(report.text.length).to.be.at.most(120);
    expect(report.text).to.equal(ANSWER.slice(0, report.text.length));
    const [req] = requestsOf('main', from);
    await req!.closed;
    expect(req!.closedByClient).to.equal(true);
    await until('the notice', () => dm.errors.some((e) => e.narrationId === id));
    expect(dm.errors.find((e) => e.narrationId === id)).to.deep.include({ code: 'text_too_long' });
  });

  it('the room\'s past narrations go into the next prompt, the last `history` of them', async () => {
    model('main', {});
    const dm = await serve({ history: 2 });
    for (const text of ['The first thing happened.', 'The second thing happened.', 'The third thing happened.']) {
      await dm.waitForEnd(await accepted(dm, 'narrate', { text }));
    }
    const from = llm.requests.length;
    await dm.waitForEnd(await accepted(dm, 'narrate_llm', { prompt: 'What now?' }));
    const system = requestsOf('main', from)[0]!.body.messages[0]!;
    expect(system.role).to.equal('system');
    expect(system.content).to.not.include('The first thing happened.');
    expect(system.content).to.include('The second thing happened.');
    expect(system.content).to.include('The third thing happened.');
    // The model's own narration is history for the one after it.
    const next = llm.requests.length;
    await dm.waitForEnd(await accepted(dm, 'narrate_llm', { prompt: 'And then?' }));
    const again = requestsOf('main', next)[0]!.body.messages[0]!.content;
    expect(again).to.include(ANSWER.slice(0, 60));
    expect(again).to.include('The third thing happened.');
    expect(again).to.not.include('The second thing happened.');
  });

  it('keeps the API key out of logs and errors, and logs prompts only at debug', async () => {
    const key = 'sk-test-SECRETKEY1234567890';
    model('main', { fault: { kind: 'status', status: 401, message: `Incorrect API key provided: ${key}` } });
    const info = capturingLog('info');
    const dm = await serve({ apiKey: key }, {}, info.log);
    const from = llm.requests.length;
    const id = await accepted(dm, 'narrate_llm', { prompt: 'A secret prompt about the dragon.' });
    await dm.waitForEnd(id);
    await until('the error', () => dm.errors.some((e) => e.narrationId === id));
    expect(requestsOf('main', from)[0]!.authorization).to.equal(`Bearer ${key}`);
    const message = dm.errors.find((e) => e.narrationId === id)!.message;
    expect(message).to.match(/HTTP 401/);
    expect(message).to.not.include('SECRETKEY');
    const logs = info.lines.join('');
    expect(logs).to.not.include('SECRETKEY');
    expect(logs).to.not.include('secret prompt');
    const metrics = await (await fetch(`http://127.0.0.1:${app!.port}/metrics`)).text();
    expect(metrics).to.not.include('SECRETKEY');
  });

  it('refuses at startup a rule with only an llm prompt when no language model is mounted', async () => {
    let err: unknown;
    try {
      app = await startTableServer(instantConfig({ rules: RULES }), capturingLog('silent').log);
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/rules\.enter_location\.llm.*needs a language model/);
  });
});

export type { NarrationReport };
