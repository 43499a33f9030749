import { MloopError } from '../../../../../shared/core/errors';
import { seededRandom } from '../../../../../shared/data/random';
import { trainGbdt } from '../../../../../shared/ml/models/gbdt/train';
import { binBounds } from '../../../../../shared/ml/models/gbdt/binning';
import { rocAuc } from '../../../../../shared/ml/metrics';
import { taskData } from '../../../../support/task_data';

function logloss(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum -= Math.log(Math.max(1e-15, y[i] === 1 ? p[i] : 1 - p[i]));
  return sum / y.length;
}

describe('gbdt bins', () => {
  it("gives a value that alone holds more than a bin's share a bin of its own, with float32 bounds between neighbours", () => {
    // 300 distinct amounts, 400 rows of one amount (a round sum everybody sends), 300 more distinct ones
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.fround(i < 300 ? i * 0.37 : i < 700 ? 500 : 600 + i * 0.37));
    const upper = binBounds(values, 16);
    expect(upper.length).toBeLessThanOrEqual(16);
    expect(upper[upper.length - 1]).toBe(Infinity);
    const counts = new Array<number>(upper.length).fill(0);
    for (const x of values) counts[upper.findIndex((u) => x <= u)]++;
    expect(counts).toContain(400);
    // the others spread about evenly over the remaining bins
    const others = counts.filter((c) => c !== 400);
    expect(Math.max(...others)).toBeLessThanOrEqual(2 * Math.ceil(600 / others.length));
    for (const u of upper.subarray(0, -1)) expect(Math.fround(u)).toBe(u);
  });

  it('keeps one bin per value when there are few, so every split between them is possible', () => {
    const upper = binBounds(Float32Array.of(1, 1, 2, 3, 3, 3, 10), 255);
    expect(Array.from(upper)).toEqual([1.5, 2.5, 6.5, Infinity]);
  });
});

describe('gbdt training', () => {
  it('ranks a rare positive class well, stopping early at the best validation loss', async () => {
    const data = taskData('binary', 4000, 5);
    const progress: number[] = [];
    const model = await trainGbdt(data, { learning_rate: 0.3, min_data_in_leaf: 5, lambda_l2: 0, early_stopping_rounds: 10 }, (p) => {
      progress.push(p.iteration);
      // 4 000 rows: below 10 000, the rounds default to 1 000 (gbdtRowDefaults)
      expect(p.iterations).toBe(1000);
      expect(Number.isFinite(p.loss!) && Number.isFinite(p.val_loss!) && p.seconds >= 0).toBe(true);
    });
    expect(rocAuc(data.test.y, model.predict(data.test.X, data.test.n))).toBeGreaterThan(0.95);
    // overfitting at this learning rate: the loss bottoms out, then ten worse rounds end the run
    expect(progress).toEqual(model.history.map((h) => h.iteration));
    expect(model.history).toHaveLength(model.bestIteration + 10);
    const best = model.history[model.bestIteration - 1].val_loss;
    expect(Math.min(...model.history.map((h) => h.val_loss))).toBe(best);
    // the model kept is the best iteration's, not the last one's
    const validation = model.predict(data.validation.X, data.validation.n);
    expect(logloss(data.validation.y, validation)).toBeCloseTo(best, 5);
    expect(model.backend).toBe('js');
    expect(model.params).toMatchObject({ learning_rate: 0.3, min_data_in_leaf: 5, num_leaves: 31, lambda_l2: 0 });
  });

  it('learns multiclass probabilities that sum to one, and a regression target', async () => {
    const multi = taskData('multiclass', 3000, 6);
    const probabilities = (await trainGbdt(multi, { min_data_in_leaf: 20, num_iterations: 300 })).predict(multi.test.X, multi.test.n);
    let right = 0;
    for (let i = 0; i < multi.test.n; i++) {
      const row = Array.from(probabilities.subarray(i * 3, i * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      if (row.indexOf(Math.max(...row)) === multi.test.y[i]) right++;
    }
    expect(right / multi.test.n).toBeGreaterThan(0.8);

    const reg = taskData('regression', 3000, 7);
    const values = (await trainGbdt(reg, { min_data_in_leaf: 20, num_iterations: 300 })).predict(reg.test.X, reg.test.n);
    const mean = reg.test.y.reduce((a, b) => a + b, 0) / reg.test.n;
    let residual = 0;
    let total = 0;
    for (let i = 0; i < reg.test.n; i++) {
      residual += (reg.test.y[i] - values[i]) ** 2;
      total += (reg.test.y[i] - mean) ** 2;
    }
    expect(1 - residual / total).toBeGreaterThan(0.9);
  });

  it('ranks features by gain, the one-hot columns of a categorical as that feature', async () => {
    const data = taskData('regression', 2000, 8);
    const { importance } = await trainGbdt(data, { num_iterations: 50, min_data_in_leaf: 20 });
    expect(importance!.map((i) => i.feature).sort()).toEqual(['a', 'amount', 'b', 'kind']);
    // the target weighs a by 1.5, b by 1, the category z by 1 and log(amount) by 0.3
    expect(importance![0].feature).toBe('a');
    expect(importance!.every((i, k) => k === 0 || i.gain <= importance![k - 1].gain)).toBe(true);
  });

  it('repeats a run exactly for a seed; bagging and feature fraction draw from it', async () => {
    const data = taskData('binary', 2000, 9);
    const params = { num_iterations: 20, min_data_in_leaf: 20, bagging_fraction: 0.7, bagging_freq: 1, feature_fraction: 0.5 };
    const first = await trainGbdt(data, params);
    const again = await trainGbdt(data, params);
    const reseeded = await trainGbdt(data, { ...params, seed: 7 });
    const plain = await trainGbdt(data, { num_iterations: 20, min_data_in_leaf: 20 });
    expect(Buffer.from(again.onnx).equals(Buffer.from(first.onnx))).toBe(true);
    expect(again.history).toEqual(first.history);
    expect(Buffer.from(reseeded.onnx).equals(Buffer.from(first.onnx))).toBe(false);
    expect(Buffer.from(plain.onnx).equals(Buffer.from(first.onnx))).toBe(false);
  });

  it('raises the scores of the positive class with scale_pos_weight', async () => {
    const data = taskData('binary', 2000, 10);
    const mean = (p: Float32Array) => p.reduce((a, b) => a + b, 0) / p.length;
    const plain = await trainGbdt(data, { num_iterations: 30, min_data_in_leaf: 20 });
    const weighted = await trainGbdt(data, { num_iterations: 30, min_data_in_leaf: 20, scale_pos_weight: 10 });
    expect(mean(weighted.predict(data.test.X, data.test.n))).toBeGreaterThan(2 * mean(plain.predict(data.test.X, data.test.n)));
  });

  it('scores the validation rows by their bins exactly as the exported trees score their values, missing values included', async () => {
    const data = taskData('binary', 4000, 9);
    const width = data.train.X.length / data.train.n;
    // column 0 has missing values in both splits (a missing bin); column 1 only in validation (none)
    for (let i = 0; i < data.train.n; i += 7) data.train.X[i * width] = NaN;
    for (let i = 0; i < data.validation.n; i += 5) data.validation.X[i * width] = NaN;
    for (let i = 1; i < data.validation.n; i += 3) data.validation.X[i * width + 1] = NaN;
    const model = await trainGbdt(data, { num_iterations: 40, learning_rate: 0.2, min_data_in_leaf: 5, early_stopping_rounds: 0 });
    const best = model.history[model.bestIteration - 1].val_loss;
    expect(logloss(data.validation.y, model.predict(data.validation.X, data.validation.n))).toBeCloseTo(best, 8);
  });

  it('learns the same model with its rows sharded over two or three threads as on one', async () => {
    // more rows than one block, so that every thread has rows; bagging, so that the bag is sharded too
    const data = taskData('multiclass', 10_000, 12);
    const params = { num_iterations: 10, min_data_in_leaf: 20, bagging_fraction: 0.8, bagging_freq: 2, early_stopping_rounds: 0 };
    const one = await trainGbdt(data, { ...params, num_threads: 1 });
    const own = one.predict(data.test.X, data.test.n);
    for (const threads of [2, 3]) {
      const sharded = await trainGbdt(data, { ...params, num_threads: threads });
      expect(sharded.backend).toBe(`js, ${threads} threads`);
      // histograms summed per shard round differently in the last bits at most
      const theirs = sharded.predict(data.test.X, data.test.n);
      expect(Math.max(...own.map((p, i) => Math.abs(p - theirs[i])))).toBeLessThan(1e-9);
    }
  });

  it('refuses unknown parameters and bad values, naming them', async () => {
    const data = taskData('binary', 300, 13);
    await expect(trainGbdt(data, { num_leaf: 31 })).rejects.toThrow(/unknown gbdt parameter "num_leaf"/);
    await expect(trainGbdt(data, { bagging_fraction: 0, max_bin: 300 })).rejects.toThrow(
      /bagging_fraction must be in \(0, 1\], got 0; max_bin must be an integer in \[2, 256\], got 300/,
    );
    await expect(trainGbdt(data, { num_leaves: '31' })).rejects.toBeInstanceOf(MloopError);
  });

  it('refuses labels that do not fit the task', async () => {
    const data = taskData('binary', 300, 14);
    const random = seededRandom(1);
    const y = data.train.y.map(() => random.int(3));
    await expect(trainGbdt({ ...data, train: { ...data.train, y } })).rejects.toThrow(/not a valid binary target/);
  });
});
