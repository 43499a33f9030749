import { servingRollout } from '../../../../shared/pipeline/promotion/serving_rollout';
import type { ModelDoc } from '../../../../shared/pipeline/store/documents';

const doc = (name: string, production: string | null, extra: Partial<ModelDoc> = {}): ModelDoc => ({
  name,
  production_version: production,
  previous_version: null,
  next_version: 9,
  updated_at: '2026-01-01T00:00:00Z',
  ...extra,
});

test('every model with a production version is served at it, challengers in shadow; models without one are left out', () => {
  expect(servingRollout([doc('fraud', 'v3', { aliases: { champion: 'v3', challenger: 'v4' } }), doc('leaves', 'v2'), doc('empty', null)])).toEqual({
    target: { models: { fraud: 'v3', leaves: 'v2' }, shadows: { fraud: 'v4' } },
  });
});

test('a canary keeps the previous version in the stable set, beside the others as they are', () => {
  const canary = { version: 'v3', previous_version: 'v2', percent: 10, started_at: '2026-01-01T00:00:00Z' };
  expect(servingRollout([doc('fraud', 'v3', { canary }), doc('leaves', 'v2')])).toEqual({
    target: { models: { fraud: 'v3', leaves: 'v2' }, shadows: {} },
    canary: { percent: 10, stable: { models: { fraud: 'v2', leaves: 'v2' }, shadows: {} } },
  });
});

test('a canary that production has moved past (or cleared) is no canary; several share the largest percentage', () => {
  const stale = { version: 'v3', previous_version: 'v2', percent: 10, started_at: '2026-01-01T00:00:00Z' };
  expect(servingRollout([doc('fraud', 'v4', { canary: stale })])).toEqual({ target: { models: { fraud: 'v4' }, shadows: {} } });
  expect(servingRollout([doc('fraud', 'v2', { canary: null })])).toEqual({ target: { models: { fraud: 'v2' }, shadows: {} } });
  const rollout = servingRollout([
    doc('fraud', 'v3', { canary: { ...stale, percent: 10 } }),
    doc('leaves', 'v5', { canary: { version: 'v5', previous_version: 'v4', percent: 25, started_at: '' } }),
  ]);
  expect(rollout.canary).toEqual({ percent: 25, stable: { models: { fraud: 'v2', leaves: 'v4' }, shadows: {} } });
});
