import { availableParallelism } from 'node:os';
import { MIN_ROWS_PER_THREAD, threadsFor } from '../../../../../shared/ml/models/gbdt/shards';

describe('gbdt threads', () => {
  it('gives gbdt a thread per MIN_ROWS_PER_THREAD training rows, up to the cores, unless num_threads says', () => {
    const cores = availableParallelism();
    const idle = 0;
    expect(threadsFor(0, MIN_ROWS_PER_THREAD - 1, MIN_ROWS_PER_THREAD, idle)).toBe(1);
    // the benchmark's 100 000 rows train on 70 000: two threads where there are two cores
    expect(threadsFor(0, 70_000, MIN_ROWS_PER_THREAD, idle)).toBe(Math.min(cores, 2));
    expect(threadsFor(0, 10_000_000, MIN_ROWS_PER_THREAD, idle)).toBe(cores);
    expect(threadsFor(3, 10, MIN_ROWS_PER_THREAD, idle)).toBe(3);
  });

  it('keeps gbdt below 500 000 training rows on one thread while the load average fills the cores', () => {
    const cores = availableParallelism();
    expect(threadsFor(0, 70_000, MIN_ROWS_PER_THREAD, cores)).toBe(1);
    expect(threadsFor(0, 499_999, MIN_ROWS_PER_THREAD, cores + 3)).toBe(1);
    // large data keeps its threads: two were no slower than one on a busy machine
    expect(threadsFor(0, 700_000, MIN_ROWS_PER_THREAD, cores + 3)).toBe(cores);
    expect(threadsFor(2, 70_000, MIN_ROWS_PER_THREAD, cores + 3)).toBe(2);
  });

  it("keeps the forests' rule: one thread below 500 000 training rows", () => {
    expect(threadsFor(0, 499_999)).toBe(1);
    expect(threadsFor(0, 500_000)).toBe(availableParallelism());
  });
});
