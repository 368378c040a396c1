import { expect } from 'chai';
import { engineOverrides } from '../../../server/cli/engine-flags.ts';
import { xttsOptionsSchema } from '../../../plugins/tts-xtts/options.ts';

describe('engineOverrides with an XTTS server pool in the config', () => {
  const pool = { urls: ['http://gpu-a:8000', 'http://gpu-b:8000'] };

  it('keeps a configured pool when no --xtts-url is given (no placeholder url beside it)', () => {
    const options = engineOverrides({ engine: 'xtts' }, pool)['plugins.tts-xtts'] as Record<string, unknown>;
    expect(options).to.not.have.property('url');
    expect(xttsOptionsSchema.parse(options).urls).to.deep.equal(pool.urls);
  });

  it('lets --xtts-url replace a configured pool', () => {
    const options = engineOverrides({ xttsUrl: 'http://gpu-c:8000' }, pool)['plugins.tts-xtts'] as Record<string, unknown>;
    expect(options).to.not.have.property('urls');
    expect(xttsOptionsSchema.parse(options).url).to.equal('http://gpu-c:8000');
  });
});
