import { inCanary } from '../../../shared/serving/canary_split';

test('the same id always lands on the same side; ids spread near the share; 0 and 100 are none and all', () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `req-${i}-${(i * 7919) % 104729}`);
  const share = ids.filter((id) => inCanary(id, 10)).length / ids.length;
  expect(share).toBeGreaterThan(0.08);
  expect(share).toBeLessThan(0.12);
  expect(ids.map((id) => inCanary(id, 10))).toEqual(ids.map((id) => inCanary(id, 10)));
  expect(ids.some((id) => inCanary(id, 0))).toBe(false);
  expect(ids.every((id) => inCanary(id, 100))).toBe(true);
  // A larger share only adds ids: nobody moves back to the old version as the canary grows.
  expect(ids.filter((id) => inCanary(id, 10) && !inCanary(id, 50))).toEqual([]);
});
