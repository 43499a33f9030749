/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { onnx } from 'onnx-proto';
import { MloopError } from '../../../../../shared/core/errors';
import type { Task } from '../../../../../shared/data/prepare';
import { rocAuc } from '../../../../../shared/ml/metrics';
import { trainExtraTrees } from '../../../../../shared/ml/models/extra_trees/train';
import { trainRandomForest } from '../../../../../shared/ml/models/random_forest/train';
import { ONNX_OUTPUTS } from '../../../../../shared/ml/onnx_io';
import { graphOf, runOnnx } from '../../../../support/onnx_run';
import { taskData } from '../../../../support/task_data';

const TRAINERS = { random_forest: trainRandomForest, extra_trees: trainExtraTrees };
const FAMILIES = Object.keys(TRAINERS) as Array<keyof typeof TRAINERS>;

function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** The exported trees, node by node, as onnxruntime reads them. */
function treesOf(bytes: Uint8Array): Array<{ feature: number[]; threshold: number[]; yes: number[]; no: number[]; leaf: boolean[] }> {
  const ensemble = onnx.ModelProto.decode(bytes).graph!.node!.find((n) => n.opType === 'TreeEnsembleRegressor')!;
  const attribute = (name: string) => ensemble.attribute!.find((a) => a.name === name)!;
  const ints = (name: string) => attribute(name).ints!.map(Number);
  const raw = attribute('nodes_values_as_tensor').t!.rawData!;
  const values = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const [treeIds, nodeIds, features, yes, no] = ['nodes_treeids', 'nodes_nodeids', 'nodes_featureids', 'nodes_truenodeids', 'nodes_falsenodeids'].map(ints);
  const modes = attribute('nodes_modes').strings!.map((m) => new TextDecoder().decode(m));
  const trees: ReturnType<typeof treesOf> = [];
  treeIds.forEach((t, i) => {
    const tree = (trees[t] ??= { feature: [], threshold: [], yes: [], no: [], leaf: [] });
    const id = nodeIds[i];
    tree.feature[id] = features[i];
    tree.threshold[id] = values[i];
    tree.yes[id] = yes[i];
    tree.no[id] = no[i];
    tree.leaf[id] = modes[i] === 'LEAF';
  });
  return trees;
}

function rSquared(y: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i] / y.length;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    residual += (y[i] - predicted[i]) ** 2;
    total += (y[i] - mean) ** 2;
  }
  return 1 - residual / total;
}

describe.each(FAMILIES)('%s', (name) => {
  const train = TRAINERS[name];

  it.each(['binary', 'multiclass', 'regression'] as Task[])('scores the %s test split under onnxruntime as the trainer does, to 1e-5', async (task) => {
    const data = taskData(task, 1500, 21);
    const model = await train(data, { n_estimators: 20 });
    const width = data.train.X.length / data.train.n;
    const K = task === 'multiclass' ? 3 : 1;
    const graph = graphOf(model.onnx);
    expect(graph.outputs).toEqual([[ONNX_OUTPUTS[task], ['N', K]]]);
    expect(graph.ops).toEqual(['Cast', 'TreeEnsembleRegressor', ...(task === 'multiclass' ? ['ReduceSum', 'Max', 'Div'] : ['Identity'])]);
    expect(graph.opsets).toEqual([['', 17], ['ai.onnx.ml', 3]]);
    const own = model.predict(data.test.X, data.test.n);
    const served = await runOnnx(model.onnx, data.test.X, data.test.n, width, ONNX_OUTPUTS[task]);
    expect(own).toHaveLength(data.test.n * K);
    expect(worst(served, own)).toBeLessThan(1e-5);
    // a model that learned nothing would pass parity trivially
    expect(new Set(own).size).toBeGreaterThan(10);
    if (task !== 'regression') {
      for (const p of own) expect(p >= 0 && p <= 1).toBe(true);
    }
  });

  it('learns each task: a rare positive ranked, multiclass probabilities summing to one, a value', async () => {
    const binary = taskData('binary', 2000, 22);
    const b = await train(binary, { n_estimators: 40 });
    expect(rocAuc(binary.test.y, b.predict(binary.test.X, binary.test.n))).toBeGreaterThan(0.95);

    const multi = taskData('multiclass', 2000, 23);
    const probabilities = (await train(multi, { n_estimators: 20 })).predict(multi.test.X, multi.test.n);
    let right = 0;
    for (let i = 0; i < multi.test.n; i++) {
      const row = Array.from(probabilities.subarray(i * 3, i * 3 + 3));
      expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
      if (row.indexOf(Math.max(...row)) === multi.test.y[i]) right++;
    }
    expect(right / multi.test.n).toBeGreaterThan(0.75);

    const reg = taskData('regression', 2000, 24);
    const values = (await train(reg, { n_estimators: 20, max_leaf_nodes: 256 })).predict(reg.test.X, reg.test.n);
    expect(rSquared(reg.test.y, values)).toBeGreaterThan(0.85);
  });

  it('reports progress per tree, the validation loss falling as trees are averaged', async () => {
    const data = taskData('binary', 2000, 25);
    const seen: number[] = [];
    const model = await train(data, { n_estimators: 40 }, (p) => {
      seen.push(p.iteration);
      expect(p.iterations).toBe(40);
      expect(Number.isFinite(p.loss!) && Number.isFinite(p.val_loss!)).toBe(true);
    });
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(model.history.map((h) => h.iteration)).toEqual(seen);
    expect(model.bestIteration).toBe(40);
    // one tree alone has leaves at 0 and 1: its logloss is far above the average of forty
    expect(model.history[39].val_loss).toBeLessThan(model.history[0].val_loss / 2);
    expect(model.importance!.map((i) => i.feature).sort()).toEqual(['a', 'amount', 'b', 'kind']);
  });

  it('grows trees within max_leaf_nodes and max_depth, every leaf holding min_samples_leaf training rows', async () => {
    const data = taskData('regression', 1500, 31);
    const limits = { max_leaf_nodes: 12, max_depth: 4, min_samples_leaf: 25 };
    const model = await train(data, { ...limits, n_estimators: 5, bootstrap: false });
    const width = data.train.X.length / data.train.n;
    const trees = treesOf(model.onnx);
    expect(trees).toHaveLength(5);
    for (const tree of trees) {
      const rows = new Map<number, number>();
      let deepest = 0;
      for (let i = 0; i < data.train.n; i++) {
        let node = 0;
        let depth = 0;
        while (!tree.leaf[node]) {
          node = data.train.X[i * width + tree.feature[node]] <= tree.threshold[node] ? tree.yes[node] : tree.no[node];
          depth++;
        }
        rows.set(node, (rows.get(node) ?? 0) + 1);
        deepest = Math.max(deepest, depth);
      }
      expect(rows.size).toBeLessThanOrEqual(limits.max_leaf_nodes);
      expect(Math.min(...rows.values())).toBeGreaterThanOrEqual(limits.min_samples_leaf);
      expect(deepest).toBeLessThanOrEqual(limits.max_depth);
    }
    // unbounded by default: the same data grows trees far bigger
    const free = treesOf((await train(data, { n_estimators: 1 })).onnx);
    expect(free[0].leaf.filter(Boolean).length).toBeGreaterThan(100);
  });

  it('repeats a run exactly for a seed, and draws differently for another', async () => {
    const data = taskData('binary', 1500, 26);
    const first = await train(data, { n_estimators: 10 });
    const again = await train(data, { n_estimators: 10 });
    const reseeded = await train(data, { n_estimators: 10, seed: 7 });
    expect(Buffer.from(again.onnx).equals(Buffer.from(first.onnx))).toBe(true);
    expect(again.metrics).toEqual(first.metrics);
    expect(Buffer.from(reseeded.onnx).equals(Buffer.from(first.onnx))).toBe(false);
  });

  it('refuses unknown parameters and bad values, naming them', async () => {
    const data = taskData('binary', 300, 27);
    await expect(train(data, { n_estimator: 10 })).rejects.toThrow(new RegExp(`unknown ${name} parameter "n_estimator"`));
    await expect(train(data, { max_features: 'half', min_samples_leaf: 0 })).rejects.toThrow(
      /max_features must be "auto", "sqrt", "log2" or a share in \(0, 1\], got "half"; min_samples_leaf must be a positive integer, got 0/,
    );
    await expect(train(data, { bootstrap: 'yes' })).rejects.toBeInstanceOf(MloopError);
  });
});

describe('out-of-bag score', () => {
  it('is recorded with bootstrap, as scikit-learn reports it, and agrees with the held-out rows', async () => {
    const data = taskData('binary', 3000, 28);
    const model = await trainRandomForest(data, { n_estimators: 50 });
    const auc = rocAuc(data.test.y, model.predict(data.test.X, data.test.n));
    expect(Object.keys(model.metrics!).sort()).toEqual(['oob_auc', 'oob_score']);
    expect(Math.abs(model.metrics!.oob_auc - auc)).toBeLessThan(0.03);
    // accuracy on rare positives: above always answering "negative", below perfect
    const negatives = 1 - data.train.y.reduce((s, v) => s + v, 0) / data.train.n;
    expect(model.metrics!.oob_score).toBeGreaterThan(negatives);
    expect(model.metrics!.oob_score).toBeLessThan(1);

    const reg = taskData('regression', 2000, 29);
    const regression = await trainRandomForest(reg, { n_estimators: 30, max_leaf_nodes: 256 });
    const r2 = rSquared(reg.test.y, regression.predict(reg.test.X, reg.test.n));
    expect(Object.keys(regression.metrics!)).toEqual(['oob_score']);
    expect(Math.abs(regression.metrics!.oob_score - r2)).toBeLessThan(0.05);
  });

  it('is absent from extra trees on every row (their default), present when they bootstrap', async () => {
    const data = taskData('multiclass', 1500, 30);
    expect((await trainExtraTrees(data, { n_estimators: 5 })).metrics).toBeUndefined();
    const bagged = await trainExtraTrees(data, { n_estimators: 20, bootstrap: true });
    expect(bagged.metrics!.oob_score).toBeGreaterThan(0.7);
  });
});

describe('extra trees thresholds', () => {
  it('are values drawn inside the node\'s range, between two training values, not bin boundaries', async () => {
    // 200 rows: every distinct value of a numeric column has a bin of its own
    const data = taskData('regression', 200, 31);
    const width = data.train.X.length / data.train.n;
    const model = await trainExtraTrees(data, { n_estimators: 10 });
    const sorted = [0, 1, 2].map((j) => Float64Array.from({ length: data.train.n }, (_, i) => data.train.X[i * width + j]).sort());
    let numeric = 0;
    let midpoints = 0;
    for (const tree of treesOf(model.onnx)) {
      tree.feature.forEach((f, node) => {
        if (tree.leaf[node] || f > 2) return;
        const values = sorted[f];
        const t = tree.threshold[node];
        // the training values on either side of the threshold: the cut parts them
        let above = 0;
        while (above < values.length && values[above] <= t) above++;
        expect(above).toBeGreaterThan(0);
        expect(above).toBeLessThan(values.length);
        numeric++;
        if (t === Math.fround((values[above - 1] + values[above]) / 2)) midpoints++;
      });
    }
    expect(numeric).toBeGreaterThan(100);
    // a bin boundary is the midpoint between neighbours; a drawn value almost never is
    expect(midpoints / numeric).toBeLessThan(0.05);
  });
});
