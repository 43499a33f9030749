import { expandSearch, parseSearch } from '../../../shared/ml/search_space';

describe('sweep search spaces', () => {
  it('expands a bare object of lists to the full grid, in a fixed order', () => {
    const trials = expandSearch(parseSearch({ learning_rate: [0.05, 0.1], num_leaves: [15, 31] }));
    expect(trials).toEqual([
      { learning_rate: 0.05, num_leaves: 15 },
      { learning_rate: 0.05, num_leaves: 31 },
      { learning_rate: 0.1, num_leaves: 15 },
      { learning_rate: 0.1, num_leaves: 31 },
    ]);
    expect(expandSearch(undefined)).toEqual([{}]);
    expect(expandSearch(parseSearch({ hidden_units: [[32, 16], [64]] }))).toEqual([{ hidden_units: [32, 16] }, { hidden_units: [64] }]);
  });

  it('draws max_trials distinct points of the grid at random, the same ones for a seed', () => {
    const search = parseSearch({ space: { a: [1, 2, 3, 4], b: [1, 2, 3] }, method: 'random', max_trials: 5, seed: 3 });
    const trials = expandSearch(search);
    expect(trials).toHaveLength(5);
    expect(new Set(trials.map((t) => JSON.stringify(t))).size).toBe(5);
    expect(expandSearch(search)).toEqual(trials);
    expect(expandSearch({ ...search, seed: 4 })).not.toEqual(trials);
    expect(expandSearch({ ...search, max_trials: 50 })).toHaveLength(12);
  });

  it('refuses spaces that are not small sweeps, saying what to do', () => {
    expect(() => parseSearch({})).toThrow(/names no parameter/);
    expect(() => parseSearch({ a: [] })).toThrow(/invalid search space/);
    expect(() => parseSearch({ space: { a: [1] }, method: 'bayes' })).toThrow(/invalid search space/);
    const big = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`p${i}`, [1, 2]]));
    expect(() => expandSearch(parseSearch(big))).toThrow(/the grid has 128 trials, more than 100: use "method": "random"/);
    expect(() => expandSearch(parseSearch({ space: { a: [1, 2, 3] }, max_trials: 2 }))).toThrow(/more than 2/);
  });
});
