import { expect } from 'chai';
import { EspeakThread, type RequestHandler } from '../../../plugins/tts-espeak/espeak-thread.ts';
import type { DoneMessage } from '../../../plugins/tts-espeak/protocol.ts';

interface Outcome {
  blocks: Float32Array[];
  done?: DoneMessage;
  error?: Error;
}

function run(thread: EspeakThread, id: number, text: string, voice = 'en-us'): { outcome: Outcome; finished: Promise<Outcome> } {
  const outcome: Outcome = { blocks: [] };
  let finish!: (o: Outcome) => void;
  const finished = new Promise<Outcome>((resolve) => (finish = resolve));
  const handler: RequestHandler = {
    onBlock: (b) => void (typeof b !== 'number' && outcome.blocks.push(b)),
    onDone: (d) => finish(Object.assign(outcome, { done: d })),
    onError: (e) => finish(Object.assign(outcome, { error: e })),
  };
  thread.run(id, text, voice, handler);
  return { outcome, finished };
}

describe('EspeakThread', function () {
  this.timeout(30_000);
  let thread: EspeakThread;
  let idle = 0;

  before(async () => {
    thread = new EspeakThread({ rate: 175, pitch: 50 }, { onIdle: () => idle++, onCrash: () => {} });
    const ready = await thread.start();
    expect(ready.sampleRate).to.equal(22_050);
    expect(ready.voices.map((v) => v.name)).to.include.members(['en-us', 'pt-br']);
  });
  after(() => thread.terminate(new Error('test over')));

  it('runs one request, posting its blocks then a done report, and goes idle', async () => {
    const before = idle;
    const { finished } = run(thread, 1, 'Roll for initiative.');
    expect(thread.isBusy).to.equal(true);
    const { blocks, done, error } = await finished;
    expect(error).to.equal(undefined);
    expect(done!.started).to.equal(true);
    expect(done!.blocks).to.equal(blocks.length);
    expect(done!.words).to.equal(3);
    expect(thread.isBusy).to.equal(false);
    expect(idle).to.equal(before + 1);
  });

  it('never starts a request cancelled before the worker picked it up', async () => {
    const { finished } = run(thread, 2, 'This must never be spoken.');
    thread.cancel(2);
    const { blocks, done } = await finished;
    expect(done!.started).to.equal(false);
    expect(blocks).to.have.length(0);
  });

  it('refuses a second request while busy, naming the running one', async () => {
    const { finished } = run(thread, 3, 'One at a time.');
    expect(() => run(thread, 4, 'Me too.')).to.throw(/busy with request 3/);
    await finished;
  });

  it('escapes markup so angle brackets are spoken as text, not taken as SSML', async () => {
    const { done } = await run(thread, 5, 'a <b>bold</b> c').finished;
    const { done: plain } = await run(thread, 6, 'a bold c').finished;
    expect(done!.samples).to.be.greaterThan(plain!.samples);
  });
});
