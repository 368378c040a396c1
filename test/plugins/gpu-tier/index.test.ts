import 'reflect-metadata';
import { expect } from 'chai';
import { Container } from 'inversify';
import { GPU_TIER_SERVICE, GpuTierService, gpuTierOptionsSchema, plugin } from '../../../plugins/gpu-tier/index.ts';
import type { SynthesisPolicySource } from '../../../server/synthesis/synthesis-policy.ts';
import { TOKENS, pluginOptionsToken } from '../../../server/tokens.ts';

describe('gpu-tier plugin descriptor', () => {
  it('binds one GpuTierService as TOKENS.SynthesisPolicy, TOKENS.SessionOptionsSource and under its own token', async () => {
    const c = new Container();
    c.bind(pluginOptionsToken('gpu-tier')).toConstantValue(plugin.optionsSchema.parse({ monitor: { enabled: false } }));
    await c.load(plugin.module);
    const policy = c.get<SynthesisPolicySource>(TOKENS.SynthesisPolicy);
    expect(policy).to.be.instanceOf(GpuTierService);
    expect(c.get(GPU_TIER_SERVICE)).to.equal(policy);
    expect(c.get(TOKENS.SessionOptionsSource)).to.equal(policy);
    expect(plugin.name).to.equal('gpu-tier');
    expect(plugin.provides).to.deep.equal({});
  });

  it('fills option defaults and rejects a recover threshold above the pressure one', () => {
    expect(gpuTierOptionsSchema.parse({})).to.deep.equal({ timeoutMs: 3000, profile: 'auto', monitor: { enabled: true, intervalMs: 2000, pressureThreshold: 0.9, recoverThreshold: 0.75 } });
    expect(() => gpuTierOptionsSchema.parse({ monitor: { pressureThreshold: 0.7, recoverThreshold: 0.8 } })).to.throw(/recoverThreshold/);
  });
});
