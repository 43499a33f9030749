/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { onnx } from 'onnx-proto';
import type { FeatureSpec } from '../../../../../shared/data/encoding';
import type { Task } from '../../../../../shared/data/prepare';
import { seededRandom } from '../../../../../shared/data/random';
import { trainGbdt, type GbdtData } from '../../../../../shared/ml/models/gbdt/train';
import { ONNX_OUTPUTS } from '../../../../../shared/ml/onnx_io';
import { graphOf, runOnnx } from '../../../../support/onnx_run';
import { taskData } from '../../../../support/task_data';

/** Largest absolute difference. */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const SPECS: FeatureSpec[] = [
  { name: 'x', kind: 'numeric', mean: 0, std: 1, min: -3, max: 3, fill: 0 },
  { name: 'gap', kind: 'numeric', mean: 0, std: 1, min: 0, max: 1, fill: 0 },
  { name: 'colour', kind: 'categorical', categories: ['red', 'green', 'blue'] },
];

/**
 * A column with NaN where the value is unknown — and unknown is itself a strong signal — so that the
 * learned direction of NaN matters; values on exact bin boundaries and float32 neighbours of them, so
 * that ≤ against < would show.
 */
function missingData(n: number, seed: number): GbdtData['train'] {
  const random = seededRandom(seed);
  const width = 5;
  const X = new Float32Array(n * width);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const missing = random.next() < 0.2;
    const x = Math.round(random.normal() * 8) / 4;
    const colour = random.int(3);
    X[i * width] = x;
    X[i * width + 1] = missing ? NaN : Math.fround(random.next());
    X[i * width + 2 + colour] = 1;
    const z = x + (missing ? 2 : 0) + (colour === 2 ? 1 : 0) + 0.5 * random.normal();
    y[i] = z > 1.5 ? 1 : 0;
  }
  return { X, y, n };
}

/** The distinct thresholds the ensemble tests a feature against. */
function thresholds(bytes: Uint8Array, feature: number): number[] {
  const ensemble = onnx.ModelProto.decode(bytes).graph!.node!.find((n) => n.opType === 'TreeEnsembleRegressor')!;
  const attribute = (name: string) => ensemble.attribute!.find((a) => a.name === name)!;
  const raw = attribute('nodes_values_as_tensor').t!.rawData!;
  const values = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const features = attribute('nodes_featureids').ints!.map(Number);
  const modes = attribute('nodes_modes').strings!.map((m) => new TextDecoder().decode(m));
  return [...new Set(Array.from(values).filter((_, i) => modes[i] !== 'LEAF' && features[i] === feature))];
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

/** The next float32 above (+1) or below (−1) a float32 value. */
function float32Step(x: number, direction: 1 | -1): number {
  const bits = new Int32Array(Float32Array.of(x).buffer);
  bits[0] += (x >= 0 ? 1 : -1) * direction;
  return new Float32Array(bits.buffer)[0];
}

describe('gbdt exported to ONNX', () => {
  it.each(['binary', 'multiclass', 'regression'] as Task[])('scores the %s test split under onnxruntime as the trainer does, to 1e-5', async (task) => {
    const data = taskData(task, 3000, 11);
    const model = await trainGbdt(data, { num_iterations: 60, min_data_in_leaf: 20, early_stopping_rounds: 0 });
    const width = data.train.X.length / data.train.n;
    const K = task === 'multiclass' ? 3 : 1;
    const graph = graphOf(model.onnx);
    expect(graph.outputs).toEqual([[ONNX_OUTPUTS[task], ['N', K]]]);
    expect(graph.ops).toEqual(['Cast', 'TreeEnsembleRegressor', task === 'binary' ? 'Sigmoid' : task === 'multiclass' ? 'Softmax' : 'Identity']);
    expect(graph.opsets).toEqual([['', 17], ['ai.onnx.ml', 3]]);

    const own = model.predict(data.test.X, data.test.n);
    const served = await runOnnx(model.onnx, data.test.X, data.test.n, width, ONNX_OUTPUTS[task]);
    expect(own).toHaveLength(data.test.n * K);
    expect(worst(served, own)).toBeLessThan(1e-5);
    // a model that learned nothing would pass parity trivially
    expect(new Set(own).size).toBeGreaterThan(20);
  });

  it('grows trees within num_leaves and max_depth, every leaf holding min_data_in_leaf training rows', async () => {
    const data = taskData('regression', 3000, 16);
    const limits = { num_leaves: 12, max_depth: 4, min_data_in_leaf: 40 };
    const model = await trainGbdt(data, { ...limits, num_iterations: 20, early_stopping_rounds: 0 });
    const width = data.train.X.length / data.train.n;
    const trees = treesOf(model.onnx);
    expect(trees).toHaveLength(20);
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
      expect(rows.size).toBe(tree.leaf.filter(Boolean).length);
      expect(rows.size).toBeLessThanOrEqual(limits.num_leaves);
      expect(Math.min(...rows.values())).toBeGreaterThanOrEqual(limits.min_data_in_leaf);
      expect(deepest).toBeLessThanOrEqual(limits.max_depth);
    }
    // the limits bind: without them the same data grows bigger trees
    const free = treesOf((await trainGbdt(data, { num_iterations: 1, min_data_in_leaf: 5 })).onnx);
    expect(free[0].leaf.filter(Boolean).length).toBeGreaterThan(limits.num_leaves);
  });

  it('exports a model with nothing to split on as its base score', async () => {
    const data = taskData('regression', 500, 15);
    const constant = (split: GbdtData['train']) => ({ ...split, X: new Float32Array(split.X.length) });
    const model = await trainGbdt({ ...data, train: constant(data.train), validation: constant(data.validation) }, { num_iterations: 3 });
    const width = data.train.X.length / data.train.n;
    const served = await runOnnx(model.onnx, data.test.X, data.test.n, width, 'value');
    const mean = data.train.y.reduce((a, b) => a + b, 0) / data.train.n;
    expect(worst(served, new Float32Array(data.test.n).fill(mean))).toBeLessThan(1e-4);
    expect(worst(served, model.predict(data.test.X, data.test.n))).toBe(0);
  });

  it('routes NaN the way training learned', async () => {
    const data: GbdtData = { specs: SPECS, task: 'binary', train: missingData(4000, 1), validation: missingData(1000, 2) };
    const model = await trainGbdt(data, { num_iterations: 40, min_data_in_leaf: 10, early_stopping_rounds: 0 });
    const test = missingData(2000, 3);
    const own = model.predict(test.X, test.n);
    expect(worst(await runOnnx(model.onnx, test.X, test.n, 5, 'probability'), own)).toBeLessThan(1e-5);

    // the same rows with the gap known: missing must have mattered, or the test proves nothing
    const known = test.X.map((v, at) => (at % 5 === 1 && Number.isNaN(v) ? 0.5 : v));
    expect(worst(model.predict(known, test.n), own)).toBeGreaterThan(0.1);
  });

  it('sends a value equal to a threshold left, as training did, and its float32 neighbours either way', async () => {
    const data: GbdtData = { specs: SPECS, task: 'binary', train: missingData(4000, 1), validation: missingData(1000, 2) };
    const model = await trainGbdt(data, { num_iterations: 40, min_data_in_leaf: 10, early_stopping_rounds: 0 });
    const cuts = thresholds(model.onnx, 0);
    expect(cuts.length).toBeGreaterThan(5);
    const test = missingData(3 * cuts.length, 4);
    cuts.forEach((cut, k) => {
      test.X[3 * k * 5] = cut;
      test.X[(3 * k + 1) * 5] = float32Step(cut, -1);
      test.X[(3 * k + 2) * 5] = float32Step(cut, 1);
    });
    const own = model.predict(test.X, test.n);
    expect(worst(await runOnnx(model.onnx, test.X, test.n, 5, 'probability'), own)).toBeLessThan(1e-5);
  });
});
