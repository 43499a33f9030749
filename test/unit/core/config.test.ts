import { configFor } from '../../../shared/core/config';

describe('scoring configuration', () => {
  it('needs an audience for allowed identities, since a token minted for any other service would pass', () => {
    expect(() => configFor('/tmp/x', { MLOOP_ALLOWED_IDENTITIES: 'a@b.c' })).toThrow(/MLOOP_ALLOWED_IDENTITIES needs MLOOP_ID_TOKEN_AUDIENCE/);
    const config = configFor('/tmp/x', { MLOOP_ALLOWED_IDENTITIES: ' Alice@Example.com, svc@p.iam.gserviceaccount.com ,', MLOOP_ID_TOKEN_AUDIENCE: 'https://s.run.app' });
    expect(config.identities).toEqual({ allowed: ['alice@example.com', 'svc@p.iam.gserviceaccount.com'], audience: 'https://s.run.app', certsUrl: undefined });
  });

  it('reads the promotion mode and guardrails, and bounds the canary', () => {
    expect(configFor('/tmp/x').promotion).toEqual({ mode: 'auto', minMetric: undefined, maxP99Ms: undefined, maxModelMb: undefined });
    expect(configFor('/tmp/x', { MLOOP_PROMOTION_MODE: 'manual', MLOOP_PROMOTION_MAX_P99_MS: '0.5' }).promotion).toMatchObject({ mode: 'manual', maxP99Ms: 0.5 });
    expect(() => configFor('/tmp/x', { MLOOP_PROMOTION_MODE: 'sometimes' })).toThrow(/MLOOP_PROMOTION_MODE/);
    expect(() => configFor('/tmp/x', { MLOOP_CANARY_PERCENT: '100' })).toThrow(/MLOOP_CANARY_PERCENT/);
  });
});
