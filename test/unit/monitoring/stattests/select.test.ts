import { chooseStatTest, defaultStatTest } from '../../../../shared/monitoring/stattests/select';

describe('Evidently\'s default choice', () => {
  test.each([
    ['numeric', 1000, 6, 'ks'],
    ['numeric', 1001, 6, 'wasserstein'],
    ['numeric', 1000, 5, 'chisquare'],
    ['numeric', 1000, 3, 'chisquare'],
    ['numeric', 1000, 2, 'z'],
    ['numeric', 1001, 5, 'jensenshannon'],
    ['categorical', 1000, 40, 'chisquare'],
    ['categorical', 1000, 2, 'z'],
    ['categorical', 1001, 40, 'jensenshannon'],
    ['boolean', 20, 2, 'z'],
    ['boolean', 5000, 2, 'jensenshannon'],
  ] as const)('%s, %d reference rows, %d distinct values: %s', (kind, rows, distinct, name) => {
    expect(defaultStatTest(kind, rows, distinct).name).toBe(name);
  });
});

describe('the test a feature gets', () => {
  test('auto: the default test, with the configured threshold or else its own', () => {
    expect(chooseStatTest('numeric', 500, 50, { method: 'auto' })).toEqual({ test: expect.objectContaining({ name: 'ks' }), threshold: 0.05 });
    expect(chooseStatTest('numeric', 500, 50, { method: 'auto', threshold: 0.01 })).toMatchObject({ threshold: 0.01 });
  });

  test('a configured test that fits the kind, with the configured threshold or else its own', () => {
    expect(chooseStatTest('categorical', 500, 4, { method: 'psi' })).toEqual({ test: expect.objectContaining({ name: 'psi' }), threshold: 0.1 });
    expect(chooseStatTest('numeric', 5000, 50, { method: 'ks', threshold: 0.01 })).toEqual({ test: expect.objectContaining({ name: 'ks' }), threshold: 0.01 });
  });

  test('a numeric-only test on a category falls back to the default, with the default\'s threshold and a note why', () => {
    expect(chooseStatTest('boolean', 500, 2, { method: 'wasserstein', threshold: 0.5 })).toEqual({
      test: expect.objectContaining({ name: 'z' }),
      threshold: 0.05,
      note: 'wasserstein applies to numeric features only; z was used',
    });
  });
});
