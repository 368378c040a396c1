import { expect } from 'chai';
import { createParser } from 'eventsource-parser';
import {
  startOpenAiStandIn,
  type ChatRequestBody,
  type OpenAiStandIn,
  type StandInModel,
} from '../../tools/llm-stand-in/openai-stand-in.ts';

const epochMs = (): number => performance.timeOrigin + performance.now();
/** Node timers are rounded to whole ms and may fire up to 1 ms early: the slack allowed below a scheduled time. */
const TIMER_SLACK_MS = 2;

const REPLY = 'The torches gutter as the door groans open. Beyond it, stairs descend into the dark.';
const WORDS = REPLY.match(/\s*\S+/g)!;
const fast = (reply: string, extra: Partial<StandInModel> = {}): StandInModel => ({ reply, ttftMs: 0, tokensPerSecond: 1000, ...extra });

interface Chunk {
  id: string;
  object: string;
  model: string;
  created: number;
  choices: { index: number; delta: { role?: string; content?: string; refusal?: string }; finish_reason: string | null }[];
}

/** One streamed chat request as a client sees it: SSE events parsed by eventsource-parser, with arrival times. */
interface Streamed {
  status: number;
  contentType: string | null;
  events: { data: string; atMs: number }[];
  raw: string;
  /** Settles when the body is fully read: undefined, or the error that ended reading (abort, cut connection). */
  done: Promise<unknown>;
}

async function post(
  standIn: OpenAiStandIn,
  body: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Streamed> {
  const res = await fetch(`${standIn.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: init.signal,
  });
  const out: Streamed = { status: res.status, contentType: res.headers.get('content-type'), events: [], raw: '', done: Promise.resolve() };
  const parser = createParser({ onEvent: (e) => out.events.push({ data: e.data, atMs: epochMs() }) });
  const decoder = new TextDecoder();
  out.done = (async () => {
    try {
      for await (const bytes of res.body!) {
        const text = decoder.decode(bytes, { stream: true });
        out.raw += text;
        parser.feed(text);
      }
      return undefined;
    } catch (err) {
      return err;
    }
  })();
  return out;
}

const chat = (model: string, extra: Partial<ChatRequestBody> = {}): ChatRequestBody => ({
  model,
  messages: [{ role: 'user', content: 'Describe the door.' }],
  stream: true,
  ...extra,
});
/** The JSON chunks (every event but `[DONE]`). */
const chunks = (s: Streamed): Chunk[] => s.events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data) as Chunk);
const content = (s: Streamed): string => chunks(s).map((c) => c.choices[0].delta.content ?? '').join('');
const finishReasons = (s: Streamed): (string | null)[] => chunks(s).map((c) => c.choices[0].finish_reason).filter((f) => f !== null);
const lastData = (s: Streamed): string | undefined => s.events.at(-1)?.data;

/** Resolves with `p`, or rejects naming `what` when it takes longer than `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe('OpenAI-compatible stand-in (wire format)', () => {
  let standIn: OpenAiStandIn;
  afterEach(async () => standIn?.close());

  it('streams a role chunk, one content delta per word, finish_reason "stop", then [DONE], each event ended by a blank line', async () => {
    standIn = await startOpenAiStandIn({ narrator: fast(REPLY) });
    const s = await post(standIn, chat('narrator'));
    expect(await s.done).to.equal(undefined);
    expect(s.status).to.equal(200);
    expect(s.contentType).to.match(/^text\/event-stream/);
    expect(s.raw).to.match(/^(data: [^\n]+\n\n)+$/);

    const all = chunks(s);
    expect(all[0].choices[0]).to.deep.equal({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null });
    for (const c of all) {
      expect(c).to.include({ object: 'chat.completion.chunk', model: 'narrator', id: all[0].id });
      expect(c.id).to.match(/^chatcmpl-/);
    }
    expect(all.slice(1, -1).map((c) => c.choices[0].delta.content)).to.deep.equal(WORDS);
    expect(content(s)).to.equal(REPLY);
    expect(all.at(-1)!.choices[0]).to.deep.equal({ index: 0, delta: {}, finish_reason: 'stop' });
    expect(lastData(s)).to.equal('[DONE]');

    const [rec] = standIn.requests;
    await rec.closed;
    expect(rec.tokens.map((t) => t.text).join('')).to.equal(REPLY);
    expect(rec).to.include({ model: 'narrator', closedByClient: false, authorization: undefined });
    expect(standIn.openCount()).to.equal(0);
  });

  it('writes the first token no earlier than ttftMs and token i no earlier than ttftMs + i/rate after the request arrived', async () => {
    const ttftMs = 300;
    const tokensPerSecond = 20; // 50 ms apart
    standIn = await startOpenAiStandIn({ slow: { reply: REPLY, ttftMs, tokensPerSecond } });
    const sentAt = epochMs();
    const s = await post(standIn, chat('slow'));
    expect(await within(s.done, 10_000, 'the whole stream')).to.equal(undefined);

    const [rec] = standIn.requests;
    expect(rec.receivedAtMs).to.be.at.least(sentAt);
    expect(rec.tokens).to.have.length(WORDS.length);
    rec.tokens.forEach((t, i) => expect(t.atMs, `token ${i}`).to.be.at.least(rec.receivedAtMs + ttftMs + (i * 1000) / tokensPerSecond - TIMER_SLACK_MS));
    const contentEvents = s.events.filter((e) => e.data.includes('"content":"') && !e.data.includes('"content":""'));
    expect(contentEvents[0].atMs - sentAt, 'client-side time to first token').to.be.at.least(ttftMs - TIMER_SLACK_MS);
    const lastAt = contentEvents.at(-1)!.atMs;
    expect(lastAt - sentAt, 'client-side stream duration').to.be.at.least(ttftMs + ((WORDS.length - 1) * 1000) / tokensPerSecond - TIMER_SLACK_MS);
  });

  it('stops after max_tokens tokens with finish_reason "length"', async () => {
    standIn = await startOpenAiStandIn({ narrator: fast(REPLY) });
    const s = await post(standIn, chat('narrator', { max_tokens: 3 }));
    await s.done;
    expect(content(s)).to.equal(WORDS.slice(0, 3).join(''));
    expect(finishReasons(s)).to.deep.equal(['length']);
    expect(lastData(s)).to.equal('[DONE]');
  });

  it('passes the parsed body to a reply function', async () => {
    standIn = await startOpenAiStandIn({ echo: fast('', { reply: (b) => `You said: ${b.messages.at(-1)!.content}` }) });
    const s = await post(standIn, chat('echo'));
    await s.done;
    expect(content(s)).to.equal('You said: Describe the door.');
  });

  describe('assistant prefill', () => {
    const PRELUDE = ' The torches gutter as the door groans open. ';
    const prefilled = (model: string): ChatRequestBody =>
      chat(model, { messages: [{ role: 'user', content: 'Describe the door.' }, { role: 'assistant', content: PRELUDE }] });

    it("'continue' streams only what follows the final assistant message", async () => {
      standIn = await startOpenAiStandIn({ llama: fast(REPLY) });
      const s = await post(standIn, prefilled('llama'));
      await s.done;
      expect(content(s)).to.equal(' Beyond it, stairs descend into the dark.');
    });

    it("'continue' streams the whole reply when it does not start with the assistant message", async () => {
      standIn = await startOpenAiStandIn({ llama: fast('Stairs descend into the dark.') });
      const s = await post(standIn, prefilled('llama'));
      await s.done;
      expect(content(s)).to.equal('Stairs descend into the dark.');
    });

    it("'repeat' streams the whole reply anyway", async () => {
      standIn = await startOpenAiStandIn({ openai: fast(REPLY, { prefill: 'repeat' }) });
      const s = await post(standIn, prefilled('openai'));
      await s.done;
      expect(content(s)).to.equal(REPLY);
    });
  });

  describe('faults', () => {
    it('status: answers the HTTP status with the error JSON and no stream', async () => {
      standIn = await startOpenAiStandIn({ busy: fast(REPLY, { fault: { kind: 'status', status: 503, message: 'Loading model' } }) });
      const res = await fetch(`${standIn.url}/chat/completions`, { method: 'POST', body: JSON.stringify(chat('busy')) });
      expect(res.status).to.equal(503);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(await res.json()).to.deep.equal({ error: { code: 503, message: 'Loading model', type: 'unavailable_error' } });
      await standIn.requests[0].closed;
      expect(standIn.requests[0].closedByClient).to.equal(false);
    });

    it('hang: 200 and headers, then nothing until the client closes, which the server sees', async () => {
      standIn = await startOpenAiStandIn({ stuck: fast(REPLY, { fault: { kind: 'hang' } }) });
      const abort = new AbortController();
      const s = await post(standIn, chat('stuck'), { signal: abort.signal });
      expect(s.status).to.equal(200);
      expect(s.contentType).to.match(/^text\/event-stream/);
      await new Promise((r) => setTimeout(r, 300)); // 300 ttfts of this model (ttftMs 0)
      expect(s.events).to.deep.equal([]);
      expect(standIn.openCount()).to.equal(1);

      abort.abort();
      const [rec] = standIn.requests;
      await within(rec.closed, 1000, 'the server seeing the client close');
      expect(rec.closedByClient).to.equal(true);
      expect(standIn.openCount()).to.equal(0);
      expect((await s.done as Error).name).to.equal('AbortError');
    });

    it('cut: the connection closes after N tokens, without finish_reason or [DONE]', async () => {
      standIn = await startOpenAiStandIn({ crash: fast(REPLY, { fault: { kind: 'cut', afterTokens: 4 } }) });
      const s = await post(standIn, chat('crash'));
      const err = await within(s.done, 5000, 'the client seeing the cut');
      expect(err, 'reading the body fails').to.be.instanceOf(Error);
      expect(content(s)).to.equal(WORDS.slice(0, 4).join(''));
      expect(finishReasons(s)).to.deep.equal([]);
      expect(s.events.map((e) => e.data)).to.not.include('[DONE]');
      const [rec] = standIn.requests;
      await rec.closed;
      expect(rec.closedByClient).to.equal(false);
      expect(rec.tokens).to.have.length(4);
    });

    it('malformed: after N tokens an event whose data is not JSON, then the rest of the stream', async () => {
      standIn = await startOpenAiStandIn({ garbled: fast(REPLY, { fault: { kind: 'malformed', afterTokens: 2 } }) });
      const s = await post(standIn, chat('garbled'));
      await s.done;
      const data = s.events.map((e) => e.data);
      expect(data[3], 'after the role chunk and 2 tokens').to.equal('{not json');
      expect(() => JSON.parse(data[3])).to.throw(SyntaxError);
      const valid = { ...s, events: s.events.filter((e) => e.data !== '{not json') };
      expect(content(valid)).to.equal(REPLY);
      expect(finishReasons(valid)).to.deep.equal(['stop']);
      expect(lastData(s)).to.equal('[DONE]');
    });

    it('refusal: delta.refusal pieces, no content, finish_reason "stop", [DONE]', async () => {
      const text = "I'm sorry, I can't help with that.";
      standIn = await startOpenAiStandIn({ prude: fast(REPLY, { fault: { kind: 'refusal', text } }) });
      const s = await post(standIn, chat('prude'));
      await s.done;
      expect(chunks(s).map((c) => c.choices[0].delta.refusal ?? '').join('')).to.equal(text);
      expect(content(s)).to.equal('');
      expect(finishReasons(s)).to.deep.equal(['stop']);
      expect(lastData(s)).to.equal('[DONE]');
      expect(standIn.requests[0].tokens).to.deep.equal([]);
    });

    it('content-filter: finish_reason "content_filter" after N tokens, then [DONE]', async () => {
      standIn = await startOpenAiStandIn({ filtered: fast(REPLY, { fault: { kind: 'content-filter', afterTokens: 5 } }) });
      const s = await post(standIn, chat('filtered'));
      await s.done;
      expect(content(s)).to.equal(WORDS.slice(0, 5).join(''));
      expect(finishReasons(s)).to.deep.equal(['content_filter']);
      expect(lastData(s)).to.equal('[DONE]');
    });

    it('empty: the role chunk, finish_reason "stop", [DONE] and no content', async () => {
      standIn = await startOpenAiStandIn({ mute: fast(REPLY, { fault: { kind: 'empty' } }) });
      const s = await post(standIn, chat('mute'));
      await s.done;
      expect(s.events.map((e) => e.data)).to.have.length(3);
      expect(chunks(s)[0].choices[0].delta).to.deep.equal({ role: 'assistant', content: '' });
      expect(content(s)).to.equal('');
      expect(finishReasons(s)).to.deep.equal(['stop']);
      expect(lastData(s)).to.equal('[DONE]');
    });
  });

  it('stops writing tokens when the client aborts mid-stream and records closedByClient within 1 s', async () => {
    // 10 × REPLY at 20 tokens/s lasts 8.5 s: a stalled event loop cannot finish it before the abort.
    standIn = await startOpenAiStandIn({ slow: { reply: Array(10).fill(REPLY).join(' '), ttftMs: 0, tokensPerSecond: 20 } });
    const abort = new AbortController();
    const s = await post(standIn, chat('slow'), { signal: abort.signal });
    const [rec] = standIn.requests;
    while (rec.tokens.length < 2) await new Promise((r) => setTimeout(r, 5));
    const abortedAt = epochMs();
    abort.abort();
    await within(rec.closed, 1000, 'the server seeing the abort');
    expect(rec.closedByClient).to.equal(true);
    expect(rec.closedAtMs! - abortedAt).to.be.below(1000);
    const written = rec.tokens.length;
    expect(written).to.be.below(WORDS.length * 10);
    await new Promise((r) => setTimeout(r, 200)); // 4 token intervals
    expect(rec.tokens, 'no token after the close').to.have.length(written);
    await s.done;
  });

  describe('errors', () => {
    const errorOf = async (res: Response): Promise<{ code: number; message: string; type: string }> =>
      ((await res.json()) as { error: { code: number; message: string; type: string } }).error;

    it('answers 404 not_found_error for an unknown model, naming it', async () => {
      standIn = await startOpenAiStandIn({ narrator: fast(REPLY) });
      const res = await fetch(`${standIn.url}/chat/completions`, { method: 'POST', body: JSON.stringify(chat('gpt-x')) });
      expect(res.status).to.equal(404);
      expect(await errorOf(res)).to.deep.equal({ code: 404, message: 'model "gpt-x" not found', type: 'not_found_error' });
    });

    for (const [what, body, message] of [
      ['a body that is not JSON', '{"model": "narrator", ', /not JSON/],
      ['a body without messages', JSON.stringify({ model: 'narrator', stream: true }), /'messages'/],
      ['a message without string content', JSON.stringify({ ...chat('narrator'), messages: [{ role: 'user' }] }), /messages\[0\]/],
      ['stream not true', JSON.stringify({ ...chat('narrator'), stream: false }), /'stream'/],
      ['a max_tokens of 0', JSON.stringify({ ...chat('narrator'), max_tokens: 0 }), /'max_tokens'/],
    ] as const) {
      it(`answers 400 invalid_request_error for ${what}`, async () => {
        standIn = await startOpenAiStandIn({ narrator: fast(REPLY) });
        const res = await fetch(`${standIn.url}/chat/completions`, { method: 'POST', body });
        expect(res.status).to.equal(400);
        const error = await errorOf(res);
        expect(error).to.include({ code: 400, type: 'invalid_request_error' });
        expect(error.message).to.match(message);
      });
    }

    it('with apiKey, answers 401 authentication_error unless Authorization is "Bearer <apiKey>"', async () => {
      standIn = await startOpenAiStandIn({ narrator: fast(REPLY) }, { apiKey: 'sk-table' });
      for (const headers of [{}, { authorization: 'Bearer sk-wrong' }, { authorization: 'sk-table' }] as Record<string, string>[]) {
        const res = await fetch(`${standIn.url}/chat/completions`, { method: 'POST', headers, body: JSON.stringify(chat('narrator')) });
        expect(res.status, JSON.stringify(headers)).to.equal(401);
        expect(await errorOf(res)).to.include({ code: 401, type: 'authentication_error' });
      }
      expect(standIn.requests).to.deep.equal([]);
      const s = await post(standIn, chat('narrator'), { headers: { authorization: 'Bearer sk-table' } });
      await s.done;
      expect(content(s)).to.equal(REPLY);
      expect(standIn.requests[0].authorization).to.equal('Bearer sk-table');
    });
  });

  it('refuses a model whose schedule or fault count is unusable, naming the model and the field', async () => {
    let err: unknown;
    await startOpenAiStandIn({ broken: fast(REPLY, { tokensPerSecond: 0 }) }).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(RangeError).with.property('message').that.matches(/"broken".*tokensPerSecond/);
    standIn = await startOpenAiStandIn({});
    expect(() => standIn.setModel('late', fast(REPLY, { ttftMs: -1 }))).to.throw(RangeError, /"late".*ttftMs/);
    expect(() => standIn.setModel('cut', fast(REPLY, { fault: { kind: 'cut', afterTokens: 1.5 } }))).to.throw(RangeError, /"cut".*afterTokens/);
  });

  it('lists its models at GET /models, including one added by setModel', async () => {
    standIn = await startOpenAiStandIn({ narrator: fast(REPLY) });
    standIn.setModel('prelude', fast('The door opens.'));
    const res = await fetch(`${standIn.url}/models`);
    expect(res.status).to.equal(200);
    const list = (await res.json()) as { object: string; data: { id: string; object: string }[] };
    expect(list.object).to.equal('list');
    expect(list.data.map((m) => [m.id, m.object])).to.deep.equal([['narrator', 'model'], ['prelude', 'model']]);
    const s = await post(standIn, chat('prelude'));
    await s.done;
    expect(content(s)).to.equal('The door opens.');
  });

  it('close() ends open streams as the server (not the client) and stops listening', async () => {
    standIn = await startOpenAiStandIn({ stuck: fast(REPLY, { fault: { kind: 'hang' } }) });
    const s = await post(standIn, chat('stuck'));
    expect(standIn.openCount()).to.equal(1);
    await within(standIn.close(), 5000, 'close()');
    const [rec] = standIn.requests;
    await rec.closed;
    expect(rec.closedByClient).to.equal(false);
    expect(await s.done).to.be.instanceOf(Error);
    let refused: unknown;
    await fetch(`${standIn.url}/models`).catch((err: unknown) => (refused = err));
    expect(refused, 'a request after close()').to.be.instanceOf(Error);
  });
});
