import { expect } from 'chai';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { streamChat } from '../../../plugins/llm-openai/chat-stream.ts';
import { keyRedactor } from '../../../server/util/redact-key.ts';
import { WriterError } from '../../../server/event/narration-writer.ts';

/** A server that answers every request with `write(res)`: the raw SSE cases the stand-in does not script. */
async function rawServer(write: (res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => write(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server };
}

async function collect(url: string, timeoutMs = 2000): Promise<{ text: string; error: WriterError | null }> {
  let text = '';
  try {
    for await (const d of streamChat({ endpoint: { url, model: 'm' }, messages: [{ role: 'user', content: 'hi' }], maxTokens: 10, temperature: 0, timeoutMs, signal: new AbortController().signal })) text += d;
    return { text, error: null };
  } catch (err) {
    return { text, error: err as WriterError };
  }
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

describe('llm-openai chat stream: SSE details (raw local HTTP servers written from the wire format)', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });
  async function serve(write: (res: ServerResponse) => void): Promise<string> {
    const { url, server } = await rawServer(write);
    servers.push(server);
    return url;
  }

  it('takes events split across writes, CRLF line ends, comments and a null first content (llama.cpp)', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const body = `: keep-alive\r\n\r\n${chunk({ role: 'assistant', content: null })}${chunk({ content: 'The ' })}${chunk({ content: 'door.' })}${chunk({}, 'stop')}data: [DONE]\n\n`.replace(/\n/g, '\r\n');
      let i = 0;
      const step = () => {
        if (i >= body.length) return res.end();
        res.write(body.slice(i, i + 7));
        i += 7;
        setImmediate(step);
      };
      step();
    });
    expect(await collect(url)).to.deep.equal({ text: 'The door.', error: null });
  });

  it('an error event inside the stream is an `http` error with the server\'s message', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${chunk({ content: 'The ' })}data: ${JSON.stringify({ error: { message: 'context overflow', code: 500 } })}\n\n`);
    });
    const { text, error } = await collect(url);
    expect(text).to.equal('The ');
    expect(error).to.be.instanceOf(WriterError);
    expect(error!.kind).to.equal('http');
    expect(error!.message).to.match(/sent an error: context overflow/);
  });

  it('a role chunk and then silence times out as "no first token"', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: '' }));
    });
    const { error } = await collect(url, 300);
    expect(error!.kind).to.equal('timeout');
    expect(error!.message).to.match(/no first token within 300 ms/);
  });

  it('a line that is not an SSE field is a malformed stream', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${chunk({ content: 'The ' })}garbage line here\n\n`);
    });
    const { error } = await collect(url);
    expect(error!.kind).to.equal('stream');
    expect(error!.message).to.match(/malformed/);
  });

  it('redacts the key and key-shaped strings from quoted server messages', () => {
    const r = keyRedactor('sk-live-abcdef123456');
    expect(r('Incorrect API key provided: sk-live-abcdef123456.')).to.equal('Incorrect API key provided: [key].');
    expect(r('Incorrect API key provided: sk-proj-****3456')).to.equal('Incorrect API key provided: [key]');
    expect(r('model not found')).to.equal('model not found');
  });
});
