import { seededRandom } from '../data/random';
import { calibrate, type Calibrator } from './calibration/calibrator';
import type { ExplainerModel } from './explain/explainer_file';
import { flattenTrees, rawScores, type FlatTrees } from './explain/flat_trees';
import { applyLink, sigmoid } from './explain/links';

/**
 * A tree model's served scores computed in JavaScript from the trees explainer.json keeps, for requests
 * of any size. onnxruntime costs a fixed ~10–25 µs a run in its binding and session whatever the rows,
 * while walking a row down gbdt's trees costs about a microsecond (and less than onnxruntime's own walk
 * per row, measured up to 1 000 rows): at one row a request, that run was a quarter of the server's CPU. The output is laid out as the model's ONNX output: P(positive)
 * [n] (calibrated when the model is), one probability per class [n × K], or the value [n].
 *
 * The graph sums the trees in double too but hands the sum on as float32 before its link, so the two
 * agree to ~1e-7, not to the bit; the scorer checks that agreement on probe rows before it uses these
 * (`probeRows`), so a file that does not match its graph is never what answers.
 */
export type TreeScores = (X: Float32Array, n: number) => Float32Array;

export function treeScorer(model: ExplainerModel, task: 'binary' | 'multiclass' | 'regression', calibrator: Calibrator | null): TreeScores | null {
  // isolation forests serve an anomaly score, and blends mix families: onnxruntime keeps those
  if (model.kind !== 'trees' || model.link === 'isolation') return null;
  if (task !== 'multiclass' && model.outputs > 2) return null;
  const flat = treesOf(model);
  const K = model.outputs;
  const link = model.link;
  const raw = new Float64Array(K);
  // a binary model with two outputs serves the second: P(class 1)
  const served = task === 'multiclass' ? -1 : K - 1;
  return (X, n) => {
    const width = n === 0 ? 0 : X.length / n;
    const out = new Float32Array(served < 0 ? n * K : n);
    for (let i = 0; i < n; i++) {
      rawScores(flat, X, i * width, raw);
      if (K === 1) out[i] = link === 'logistic' ? sigmoid(raw[0]) : raw[0];
      else if (served < 0) out.set(applyLink(link, raw), i * K);
      else out[i] = applyLink(link, raw)[served];
    }
    return calibrator && task === 'binary' ? calibrate(calibrator, out) : out;
  };
}

function treesOf(model: Extract<ExplainerModel, { kind: 'trees' }>): FlatTrees {
  return flattenTrees(
    model.outputs,
    model.base,
    model.trees.map((t) => ({ output: t.output, feature: t.feature, threshold: t.threshold, defaultLeft: t.default_left, left: t.left, right: t.right, value: t.value })),
  );
}

/**
 * Rows [count × width] that take the trees down every kind of branch: each column at one of the
 * thresholds it is split on, just above one, below them all, or missing (NaN). Seeded: the same rows
 * for the same model.
 */
export function probeRows(model: ExplainerModel, width: number, count: number): Float32Array {
  const cuts: number[][] = Array.from({ length: width }, () => []);
  if (model.kind === 'trees') for (const tree of model.trees) tree.feature.forEach((f, k) => f < width && cuts[f].push(tree.threshold[k]));
  const below = cuts.map((at) => at.reduce((low, cut) => Math.min(low, cut), 0) - 1);
  const random = seededRandom(width * 7919 + count);
  const X = new Float32Array(count * width);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < width; j++) {
      const at = cuts[j];
      const way = random.int(4);
      const cut = at.length > 0 ? Math.fround(at[random.int(at.length)]) : 0;
      X[i * width + j] = way === 0 ? cut : way === 1 ? nextUp(cut) : way === 2 ? below[j] : NaN;
    }
  }
  return X;
}

/** The next float32 above x. */
function nextUp(x: number): number {
  const bits = new Float32Array([x]);
  const word = new Int32Array(bits.buffer);
  if (x === 0) return 1.401298464324817e-45;
  word[0] += x > 0 ? 1 : -1;
  return bits[0];
}

/** Whether two outputs of the same rows agree to float precision (relative past 1). */
export function scoresAgree(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= 1e-5 * Math.max(1, Math.abs(b[i])))) return false;
  return true;
}
