import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as wavefileNs from 'wavefile';
import { ServeProcess } from '../../../tools/local-cluster/serve-process.ts';
import { RedisServer, redisServerMissing } from '../../../tools/local-cluster/redis-server.ts';
import { TableClient } from '../../../server/cli/table-client.ts';

// wavefile is a UMD bundle: its namespace shape differs between tsx's ESM and CJS paths.
const { WaveFile } = ('WaveFile' in wavefileNs ? wavefileNs : (wavefileNs as unknown as { default: typeof wavefileNs }).default);

/** About 10 s of espeak narration: still playing when the signal comes right after its first audio. */
const LONG =
  'The road winds down into the valley, and the rain grows heavier with every mile. ' +
  'Lanterns flicker in the windows of the village below, while a bell tolls somewhere in the mist, slow and patient, ' +
  'as if it has been ringing for a hundred years and will ring for a hundred more.';

/** Duration of a WAV file, ms; throws when it does not parse (a recording left unfinalized has a wrong header). */
function wavMs(path: string): number {
  const wav = new WaveFile(readFileSync(path));
  const { sampleRate, numChannels } = wav.fmt as { sampleRate: number; numChannels: number };
  const samples = (wav.getSamples(true, Int16Array) as unknown as Int16Array).length / numChannels;
  const declared = (wav.data as { chunkSize: number }).chunkSize / 2 / numChannels;
  expect(samples, 'samples in the file vs the header').to.equal(declared);
  return (samples / sampleRate) * 1000;
}

/** Resolves when `proc` has logged a line whose msg matches; fails after `timeoutMs`. */
async function logged(proc: ServeProcess, msg: RegExp, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = proc.logLines(msg)[0];
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no log line ${msg} within ${timeoutMs} ms:\n${proc.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A table on `proc` whose DM has started narrating {@link LONG} and hears it (status `speaking`). */
async function narrating(proc: ServeProcess): Promise<{ dm: TableClient; narrationId: string }> {
  const dm = await TableClient.create(proc.endpoint, { name: 'Mira' });
  const reply = await dm.request('narrate', { text: LONG });
  if (!reply.ok) throw new Error(`narrate refused: ${reply.message}`);
  await dm.waitForState((s) => s.narration.status === 'speaking', 30_000);
  return { dm, narrationId: reply.narrationId };
}

/** Real parts: `vrpg-narrator serve` child processes (the package bin), official @colyseus/sdk clients, real signals. */
describe('serve: graceful drain on SIGTERM (child processes, SDK clients)', function () {
  this.timeout(120_000);
  const procs: ServeProcess[] = [];
  after(async () => {
    for (const p of procs) await p.stop();
  });

  it('lets the narration in flight finish, refuses new tables meanwhile, finalizes the WAV, closes clients with 4001 and exits 0', async () => {
    // A bound far above the narration's length: the test asserts what the drain guarantees, not a race.
    const proc = await ServeProcess.start({ env: { VRPG_SHUTDOWN__DRAIN_MS: '90000' } });
    procs.push(proc);
    const { dm, narrationId } = await narrating(proc);
    let leftWith: number | undefined;
    dm.room.onLeave((code) => (leftWith = code));
    proc.kill('SIGTERM');
    const start = await logged(proc, /^drain: refusing new rooms and seats/);
    expect(start.narrationsInFlight, 'the narration was still in flight when the drain began').to.equal(1);

    let refusal = '';
    await TableClient.create(proc.endpoint, { name: 'Late' }).then(
      (c) => c.leave(),
      (err: Error) => (refusal = err.message),
    );
    expect(refusal).to.match(/shutting down/);

    const report = await dm.waitForEnd(narrationId, 60_000);
    expect(report.cancelled).to.equal(false);
    expect(report.error).to.equal(null);
    expect(report.audioMs).to.be.greaterThan(5000);
    const exit = await proc.exited;
    expect(exit).to.deep.equal({ code: 0, signal: null });
    expect(leftWith, 'onLeave code').to.equal(4001); // Colyseus SERVER_SHUTDOWN
    expect(proc.logLines(/^drain: narrations finished/)).to.have.length(1);
    expect(proc.logLines(/^drain: closed/)[0]?.cancelled).to.equal(0);
    expect(wavMs(join(proc.recordingsDir, `room-${dm.room.roomId}.wav`))).to.be.at.least(report.audioMs);
  });

  it('cancels the narration when shutdown.drainMs passes first, still finalizes the WAV, and exits 1', async () => {
    const proc = await ServeProcess.start({ env: { VRPG_SHUTDOWN__DRAIN_MS: '300' } });
    procs.push(proc);
    const { dm, narrationId } = await narrating(proc);
    proc.kill('SIGTERM');
    const report = await dm.waitForEnd(narrationId, 60_000);
    expect(report.cancelled).to.equal(true);
    const exit = await proc.exited;
    expect(exit).to.deep.equal({ code: 1, signal: null });
    expect(proc.logLines(/^drain: cancelling narrations/)[0]?.why).to.equal('shutdown.drainMs passed');
    wavMs(join(proc.recordingsDir, `room-${dm.room.roomId}.wav`)); // parses: header and data agree
  });

  it('drains behind a Redis that went away: the narration finishes and the process still exits 0 (real redis-server, stopped)', async function () {
    const missing = redisServerMissing();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    const redis = await RedisServer.start();
    try {
      const proc = await ServeProcess.start({ redisUrl: redis.url, env: { VRPG_SHUTDOWN__DRAIN_MS: '90000' } });
      procs.push(proc);
      const { dm, narrationId } = await narrating(proc);
      await redis.stop();
      proc.kill('SIGTERM');
      const report = await dm.waitForEnd(narrationId, 60_000);
      expect(report.cancelled).to.equal(false);
      expect(await proc.exited).to.deep.equal({ code: 0, signal: null });
      expect(proc.logLines(/^drain: could not mark this process as draining/)).to.have.length(1);
      wavMs(join(proc.recordingsDir, `room-${dm.room.roomId}.wav`));
    } finally {
      await redis.stop();
    }
  });

  it('cancels at a second SIGTERM and exits 143 (128 + SIGTERM)', async () => {
    const proc = await ServeProcess.start({ env: { VRPG_SHUTDOWN__DRAIN_MS: '90000' } });
    procs.push(proc);
    const { dm, narrationId } = await narrating(proc);
    proc.kill('SIGTERM');
    await logged(proc, /^drain: refusing new rooms and seats/);
    proc.kill('SIGTERM');
    const report = await dm.waitForEnd(narrationId, 60_000);
    expect(report.cancelled).to.equal(true);
    const exit = await proc.exited;
    expect(exit).to.deep.equal({ code: 143, signal: null });
    expect(proc.logLines(/^drain: cancelling narrations/)[0]?.why).to.equal('second signal');
    wavMs(join(proc.recordingsDir, `room-${dm.room.roomId}.wav`));
  });
});
