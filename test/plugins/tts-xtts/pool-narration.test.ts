import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNarrator } from '../../../server/host/narrator.ts';
import { createLogger } from '../../../server/observability/log.ts';
import { XttsStandInServer } from '../../fixtures/xtts/stand-in-server.ts';
import { writeToneWav } from '../../fixtures/xtts/tone-wav.ts';

describe('a narration over an XTTS server pool (createNarrator, two stand-in XTTS servers on loopback)', function () {
  this.timeout(60_000);
  let servers: XttsStandInServer[];
  let dir: string;

  beforeEach(async () => {
    servers = await Promise.all([XttsStandInServer.start(), XttsStandInServer.start()]);
    dir = mkdtempSync(join(tmpdir(), 'xtts-pool-narration-'));
    writeToneWav(dir, 'dm.wav', 4);
  });

  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a server dying mid-stream after some audio as the narration\'s error naming the server, never as a success; /metrics counts it', async () => {
    const n = await createNarrator(
      {
        engine: 'xtts', sinks: ['bridge'],
        plugins: { 'tts-xtts': { urls: servers.map((s) => s.url), voicesDir: dir, voices: { dm: { wav: 'dm.wav' } }, health: { backoffBaseMs: 60_000, backoffMaxMs: 60_000 } } },
      },
      { log: createLogger('silent') },
    );
    try {
      const room = await n.openRoom('pool');
      for (const s of servers) {
        s.behaviour.writeSizes = [1000];
        s.behaviour.disconnectAfterBytes = 3001; // 1 500 samples (62 ms) reach the client, then the server dies
      }
      const report = await room.narrate('The door creaks open.').done;
      expect(report.cancelled).to.equal(false);
      expect(report.audioMs, 'the audio before the failure was played').to.be.greaterThan(0);
      expect(report.error).to.match(/^1 of 1 chunk\(s\) failed to synthesize: .*XTTS server http:\/\/127\.0\.0\.1:\d+: stream broke after \d+ bytes/);
      const metrics = await n.metrics.registry.metrics();
      expect(metrics).to.match(/vrpg_xtts_server_errors_total\{server="http:\/\/127\.0\.0\.1:\d+",kind="mid_stream"\} 1/);
      expect(metrics).to.contain('vrpg_narrations_total{outcome="failed"} 1');
      await room.close();
    } finally {
      await n.close();
    }
  });
});
