import 'reflect-metadata';
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNarrator } from '../../../server/host/narrator.ts';
import { ConfigError } from '../../../server/config/config-error.ts';
import { createLogger } from '../../../server/observability/log.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/plugins', import.meta.url));

describe('createNarrator start-up checks', function () {
  this.timeout(30_000);

  it('refuses a recordings folder it cannot write, before any room fails on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrpg-rec-'));
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    let error: unknown;
    try {
      const n = await createNarrator({ engine: 'instant', pluginDirs: [FIXTURES], plugins: { 'instant-engine': {} }, sinks: ['wav'], recordingsDir: join(file, 'recordings') }, { log: createLogger('silent') });
      await n.close();
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).key).to.equal('recordingsDir');
    expect((error as Error).message).to.contain(`cannot record to ${join(file, 'recordings')}: ENOTDIR`);
  });

  it('creates the recordings folder when it is missing, and needs none without the wav sink', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vrpg-rec-')), 'a', 'b');
    const n = await createNarrator({ engine: 'instant', pluginDirs: [FIXTURES], plugins: { 'instant-engine': {} }, sinks: ['wav'], recordingsDir: dir }, { log: createLogger('silent') });
    await n.close();
    const m = await createNarrator({ engine: 'instant', pluginDirs: [FIXTURES], plugins: { 'instant-engine': {} }, sinks: ['bridge'], recordingsDir: '/proc/forbidden' }, { log: createLogger('silent') });
    await m.close();
  });
});
