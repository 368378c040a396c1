import { expect } from 'chai';
import type { TableServer } from '../../../server/app.ts';
import { describeRules } from '../../../game-bridge/web/serve.ts';
import { startNarrator } from './narrator-server.ts';

describe('web client routes (game-bridge/web/serve.ts)', function () {
  this.timeout(60_000);

  describe('describeRules', () => {
    it('lists each rule with the fields its template asks for, in order, without room-filled ones', () => {
      const rules = describeRules({
        npc_says: { template: '{npc} says: {line}', priority: 'queue', players: false },
        enter_location: { template: 'You enter {location}. {description?} {location}', priority: 'queue', players: false },
        roll_call: { template: '{players} are here, {name}.', priority: 'interrupt', players: true },
      });
      expect(rules.map((r) => r.type)).to.deep.equal(['enter_location', 'npc_says', 'roll_call']);
      expect(rules[0]!.fields).to.deep.equal([{ name: 'location', optional: false }, { name: 'description', optional: true }]);
      expect(rules[1]!.fields.map((f) => f.name)).to.deep.equal(['npc', 'line']);
      expect(rules[2]).to.deep.include({ priority: 'interrupt', players: true, fields: [{ name: 'name', optional: false }] });
    });
  });

  describe('served by the narrator', () => {
    let app: TableServer;
    let baseUrl: string;
    before(async () => ({ app, baseUrl } = await startNarrator()));
    after(async () => app?.close());

    it('serves the demo page and its script', async () => {
      const page = await fetch(`${baseUrl}/`);
      expect(page.headers.get('content-type')).to.match(/text\/html/);
      const html = await page.text();
      expect(html).to.contain('src="/demo/app.js"');
      const script = await (await fetch(`${baseUrl}/demo/app.js`)).text();
      expect(script).to.contain("from '/sdk/narration-client.js'");
    });

    it('serves the SDK bundle as an ES module with its source map', async () => {
      const res = await fetch(`${baseUrl}/sdk/narration-client.js`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/javascript/);
      const js = await res.text();
      expect(js).to.match(/export\s*\{[^}]*NarrationClient/);
      expect(js).to.contain('sourceMappingURL=narration-client.js.map');
      const map = (await (await fetch(`${baseUrl}/sdk/narration-client.js.map`)).json()) as { sources: string[] };
      expect(map.sources.some((s) => s.endsWith('src/narration-client.ts'))).to.equal(true);
      const chunk = /chunks\/livekit-client[^"']+\.js/.exec(js)?.[0];
      expect(chunk, 'livekit-client split into its own chunk').to.be.a('string');
      expect((await fetch(`${baseUrl}/sdk/${chunk}`)).status).to.equal(200);
    });

    it('lists the configured game events at /rules', async () => {
      const rules = (await (await fetch(`${baseUrl}/rules`)).json()) as Array<{ type: string; players: boolean; fields: Array<{ name: string }> }>;
      const roll = rules.find((r) => r.type === 'dice_roll');
      expect(roll?.players).to.equal(true);
      expect(roll?.fields.map((f) => f.name)).to.deep.equal(['name', 'dice', 'result']);
      expect(rules.map((r) => r.type)).to.include.members(['combat_start', 'npc_says']);
    });
  });
});
