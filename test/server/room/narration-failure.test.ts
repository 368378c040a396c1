import 'reflect-metadata';
import { expect } from 'chai';
import { startTableServer, type TableServer } from '../../../server/app.ts';
import { createLogger } from '../../../server/observability/log.ts';
import { TableClient } from '../../../server/cli/table-client.ts';
import { instantConfig } from '../../fixtures/instant-config.ts';

/** Faults fail loudly (issue 11): a narration the engine could not speak reaches the DM as an error. */
describe('a failed narration in the table room (real Colyseus server, SDK clients, failing instant engine)', function () {
  this.timeout(30_000);
  let app: TableServer;

  before(async () => {
    app = await startTableServer(instantConfig({ plugins: { 'instant-engine': { charsPerSecond: 30, failOn: 'BOOM' } } }), createLogger('silent'));
  });

  after(async () => {
    await app?.close();
  });

  it('reports the failure in the narration\'s end to everyone and as narration:error to the DM only', async () => {
    const endpoint = `ws://127.0.0.1:${app.port}`;
    const dm = await TableClient.create(endpoint, { name: 'Mira' });
    const player = await TableClient.join(endpoint, dm.room.roomId, { name: 'Ana' });
    try {
      const reply = await dm.request('narrate', { text: 'BOOM goes the engine.' });
      expect(reply.ok).to.equal(true);
      const id = (reply as { narrationId: string }).narrationId;
      const report = await dm.waitForEnd(id);
      expect(report.error).to.be.a('string').and.match(/chunk|no audio/);
      expect((await player.waitForEnd(id)).error).to.equal(report.error);
      // The DM's error arrives right after the end (same room tick); give it a moment to land.
      for (let i = 0; i < 50 && dm.errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(dm.errors).to.deep.equal([{ type: 'narration:end', code: 'synthesis_failed', message: `narration ${id} failed: ${report.error}`, narrationId: id }]);
      expect(player.errors).to.deep.equal([]);
    } finally {
      await player.leave();
      await dm.leave();
    }
  });
});
