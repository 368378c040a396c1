import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNameOf, loadConfig } from '../../../server/config/load-config.ts';
import { ConfigError } from '../../../server/config/config-error.ts';

function configFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'vrpg-config-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills defaults when there is no file and no env', () => {
    const { config } = loadConfig({ env: {} });
    expect(config.port).to.equal(2567);
    expect(config.engine).to.equal('espeak');
    expect(config.sinks).to.deep.equal(['native', 'wav', 'webrtc', 'bridge']);
    expect(config.rules.combat_start.priority).to.equal('interrupt');
  });

  it('names env variables after the key path', () => {
    expect(envNameOf(['playout', 'prebufferMs'])).to.equal('VRPG_PLAYOUT__PREBUFFER_MS');
    expect(envNameOf(['plugins', 'audio-native', 'device'])).to.equal('VRPG_PLUGINS__AUDIO_NATIVE__DEVICE');
  });

  it('lets VRPG_* variables override file keys, typed by JSON or comma lists', () => {
    const file = configFile({ port: 3000, sinks: ['native'] });
    const { config, sources } = loadConfig({
      file,
      env: { VRPG_PORT: '4000', VRPG_SINKS: 'wav,native', VRPG_PLAYOUT__PREBUFFER_MS: '400', VRPG_DM_SECRET: 's3cret' },
    });
    expect(config.port).to.equal(4000);
    expect(config.sinks).to.deep.equal(['wav', 'native']);
    expect(config.playout.prebufferMs).to.equal(400);
    expect(config.dmSecret).to.equal('s3cret');
    expect(sources.port).to.equal('VRPG_PORT');
  });

  it('reaches plugin options the file leaves at their defaults', () => {
    const { config } = loadConfig({ env: { VRPG_PLUGINS__AUDIO_NATIVE__FRAMES_PER_BUFFER: '256' } });
    expect(config.plugins['audio-native']).to.deep.equal({ framesPerBuffer: 256 });
  });

  it('rejects a bad env value naming the key, the variable and what is allowed', () => {
    const err = configErrorOf(() => loadConfig({ env: { VRPG_PORT: '70000' } }));
    expect(err.message).to.contain('port').and.to.contain('VRPG_PORT');
  });

  it('refuses a VRPG_ variable that sets no config key, with the closest name, as it refuses the key in a file', () => {
    const typo = configErrorOf(() => loadConfig({ env: { VRPG_PROT: '3000' } }));
    expect(typo.key).to.equal('VRPG_PROT');
    expect(typo.message).to.contain('sets no config key').and.to.contain('did you mean VRPG_PORT?');
    const nested = configErrorOf(() => loadConfig({ env: { VRPG_PLAYOUT__PREBUFER_MS: '300' } }));
    expect(nested.message).to.contain('did you mean VRPG_PLAYOUT__PREBUFFER_MS?');
    expect(configErrorOf(() => loadConfig({ env: { VRPG_ENTIRELY_UNRELATED_SETTING: '1' } })).message).to.not.contain('did you mean');
    // Other readers' variables pass: the seed spec's VRPG_XTTS_* (gpu-tier), the bench's, options of unmounted plugins.
    expect(() => loadConfig({ env: { VRPG_XTTS_GPU_STREAMS: '2', VRPG_BENCH_XTTS_DIR: '/x', VRPG_PLUGINS__TTS_XTTS__URL: 'http://x' } })).to.not.throw();
  });

  it('rejects unknown keys in the file', () => {
    const err = configErrorOf(() => loadConfig({ file: configFile({ prot: 1 }), env: {} }));
    expect(err.message).to.contain('prot');
  });

  it('rejects a rule with an unknown priority, naming the rule key', () => {
    const err = configErrorOf(() => loadConfig({ file: configFile({ rules: { trap: { template: 'A trap!', priority: 'urgent' } } }), env: {} }));
    expect(err.message).to.contain('rules.trap.priority').and.to.contain('interrupt');
  });

  it('refuses a template with a malformed placeholder at startup, naming the rule and where', () => {
    for (const template of ['{name rolls {dice}.', 'The {} door.', 'A {two words} trap.', 'Gold: 10}']) {
      const err = configErrorOf(() => loadConfig({ file: configFile({ rules: { trap: { template } } }), env: {} }));
      expect(err.message, template).to.contain('rules.trap.template').and.to.contain('malformed placeholder at character');
    }
    expect(loadConfig({ file: configFile({ rules: { trap: { template: '{name} finds {gold?} gold.' } } }), env: {} }).config.rules.trap!.template).to.equal('{name} finds {gold?} gold.');
  });

  it('rejects a file that is not JSON', () => {
    const err = configErrorOf(() => loadConfig({ file: configFile('{ nope'), env: {} }));
    expect(err.key).to.equal('--config');
  });

  it('applies command-line overrides last', () => {
    const { config } = loadConfig({ env: { VRPG_PORT: '4000' }, overrides: { port: 5000 } });
    expect(config.port).to.equal(5000);
  });
});
