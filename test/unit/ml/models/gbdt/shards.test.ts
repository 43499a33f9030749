import { availableParallelism } from 'node:os';
import { MIN_ROWS_PER_THREAD, threadsFor } from '../../../../../shared/ml/models/gbdt/shards';

describe('gbdt threads', () => {
  it('gives gbdt a thread per MIN_ROWS_PER_THREAD training rows, up to the cores, unless num_threads says', () => {
    const cores = availableParallelism();
    expect(threadsFor(0, MIN_ROWS_PER_THREAD - 1, MIN_ROWS_PER_THREAD)).toBe(1);
    // the benchmark's 100 000 rows train on 70 000: two threads where there are two cores
    expect(threadsFor(0, 70_000, MIN_ROWS_PER_THREAD)).toBe(Math.min(cores, 2));
    expect(threadsFor(0, 10_000_000, MIN_ROWS_PER_THREAD)).toBe(cores);
    expect(threadsFor(3, 10, MIN_ROWS_PER_THREAD)).toBe(3);
  });

  it("keeps the forests' rule: one thread below 500 000 training rows", () => {
    expect(threadsFor(0, 499_999)).toBe(1);
    expect(threadsFor(0, 500_000)).toBe(availableParallelism());
  });
});
