import { MloopError } from '../../../core/errors';
import { linearExplainer } from '../linear/explainer';
import { encodedColumns } from '../../../data/encoding';
import { seededRandom } from '../../../data/random';
import { ONNX_OUTPUTS } from '../../onnx_io';
import type { OnProgress, TrainedModel } from '../../trained_model';
import type { TrainingData } from '../../training_data';
import { labelsOf, numClassOf } from '../gbdt/labels';
import { predictLinear, reportCoefficients, type LinearModel } from '../linear/linear_model';
import { exportLinearOnnx } from '../linear/onnx';
import { owlqn } from '../linear/owlqn';
import { classBalancedTolerance } from '../linear/tolerance';
import { fitScaling, foldScaling, standardisedColumns, standardisedRows, type Scaling } from '../linear/standardise';
import { checkedWidth, meanLoss, outputNames } from '../linear/train';
import { DualCoordinateDescent } from './dual_cd';
import { fitPlatt, type Platt } from '../../calibration/platt';
import { resolveLinearSvmParams, type LinearSvmParams } from './params';
import { squaredHingeObjective } from './squared_hinge';

/**
 * Trains `linear_svm` one class against the rest (one problem in all for binary), as scikit-learn's
 * LinearSVC would: squared hinge on the primal by L-BFGS (its `dual=False`, which it picks when rows
 * outnumber columns), hinge by liblinear's dual coordinate descent — the problems advanced a step at a
 * time together so that the progress has one curve — then a Platt sigmoid per class fitted on the
 * validation split's margins. Binary serves the sigmoid of the calibrated margin; more
 * classes, each class's calibrated probability normalised to sum to one (as scikit-learn's
 * CalibratedClassifierCV does for one-vs-rest).
 */
export type { LinearSvmParams } from './params';

/** The training loss of the history is the mean hinge loss over this many evenly spaced rows of each split. */
const LOSS_ROWS = 50_000;

/** Raw margins [rows × K] of row-major standardised rows under K blocks of [w…, b]. */
function margins(x: Float64Array, K: number, Z: Float32Array, rows: ArrayLike<number>, width: number): Float64Array {
  const out = new Float64Array(rows.length * K);
  for (let r = 0; r < rows.length; r++) {
    const at = rows[r] * width;
    for (let k = 0; k < K; k++) {
      const block = k * (width + 1);
      let m = x[block + width];
      for (let j = 0; j < width; j++) m += x[block + j] * Z[at + j];
      out[r * K + k] = m;
    }
  }
  return out;
}

function hingeLoss(M: Float64Array, labels: ArrayLike<number>, rows: ArrayLike<number>, K: number, squared: boolean, binary: boolean): number {
  let sum = 0;
  for (let r = 0; r < rows.length; r++) {
    for (let k = 0; k < K; k++) {
      const y = binary ? (labels[rows[r]] === 1 ? 1 : -1) : labels[rows[r]] === k ? 1 : -1;
      const slack = Math.max(0, 1 - y * M[r * K + k]);
      sum += squared ? slack * slack : slack;
    }
  }
  return sum / Math.max(rows.length * K, 1);
}

const evenly = (n: number, most: number) => {
  const count = Math.min(n, most);
  return Uint32Array.from({ length: count }, (_, i) => Math.floor((i * n) / count));
};

export async function trainLinearSvm(data: TrainingData, params: Record<string, unknown> = {}, onProgress?: OnProgress): Promise<TrainedModel> {
  const p: LinearSvmParams = resolveLinearSvmParams(params);
  const { task, train, validation } = data;
  if (task === 'regression') throw new MloopError('invalid_argument', 'linear_svm trains on binary, multiclass targets; this target is regression');
  const width = checkedWidth(data);
  const classes = numClassOf(task, data.classes, [train, validation]);
  const y = labelsOf(train, task, classes);
  const yVal = labelsOf(validation, task, classes);
  const binary = task === 'binary';
  const K = binary ? 1 : classes;
  const { n } = train;
  const scaling = fitScaling(train.X, n, width);
  const ZVal = standardisedRows(validation.X, validation.n, width, scaling);
  const squared = p.loss === 'squared_hinge';
  const trainRows = evenly(n, LOSS_ROWS);
  const valRows = evenly(validation.n, LOSS_ROWS);
  const lossRows = { train: standardisedRows(rowsOf(train.X, trainRows, width), trainRows.length, width, scaling), y: Float32Array.from(trainRows, (i) => y[i]) };
  const sampled = Uint32Array.from({ length: trainRows.length }, (_, i) => i);
  const history: TrainedModel['history'] = [];
  let started = performance.now();
  const record = async (iteration: number, x: Float64Array) => {
    const loss = hingeLoss(margins(x, K, lossRows.train, sampled, width), lossRows.y, sampled, K, squared, binary);
    const valLoss = hingeLoss(margins(x, K, ZVal, valRows, width), yVal, valRows, K, squared, binary);
    history.push({ iteration, loss, val_loss: valLoss });
    await onProgress?.({ iteration, iterations: p.max_iter, loss, val_loss: valLoss, seconds: (performance.now() - started) / 1000 });
    started = performance.now();
  };
  const solved = squared ? await primal(train.X, y, n, width, K, binary, scaling, p, record) : await dual(train.X, y, n, width, K, binary, scaling, p, record);
  const x = solved.x;

  // each class's margin on validation, calibrated against "is this class"
  const allVal = Uint32Array.from({ length: validation.n }, (_, i) => i);
  const valMargins = margins(x, K, ZVal, allVal, width);
  const calibration: Platt[] = Array.from({ length: K }, (_, k) =>
    fitPlatt(
      Float64Array.from({ length: validation.n }, (_, i) => valMargins[i * K + k]),
      Array.from({ length: validation.n }, (_, i) => (binary ? yVal[i] === 1 : yVal[i] === k)),
      validation.n,
    ),
  );
  const raw = new Float64Array(width * K);
  const bias = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < width; j++) raw[j * K + k] = x[k * (width + 1) + j];
    bias[k] = x[k * (width + 1) + width];
  }
  const svm = foldScaling(raw, bias, scaling);
  // the calibrated logit a·(w·x + b) + b′ is linear too: one layer serves it
  const weights = svm.weights.map((v, at) => v * calibration[at % K].a);
  const model: LinearModel = { width, weights, bias: svm.bias.map((v, k) => calibration[k].a * v + calibration[k].b), head: binary ? 'sigmoid' : 'sigmoid_normalised' };
  const validationLoss = meanLoss(task, predictLinear(model, validation.X, validation.n), yVal, validation.n);
  return {
    onnx: exportLinearOnnx(model, ONNX_OUTPUTS[task], `mloop linear_svm ${task}, ${p.loss}, C ${p.C}, Platt-calibrated on validation`),
    predict: (X, rows) => predictLinear(model, X, rows),
    history,
    bestIteration: Math.max(history.length, 1),
    backend: `js, ${solved.solver}, calibrated validation log-loss ${validationLoss.toFixed(4)}`,
    params: p,
    coefficients: reportCoefficients(encodedColumns(data.specs), outputNames(task, data.classes, K), svm.weights, svm.bias, calibration),
    explainer: linearExplainer(model, scaling.mean),
  };
}

type RecordStep = (iteration: number, x: Float64Array) => Promise<void>;

function rowsOf(X: Float32Array, rows: Uint32Array, width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((i, r) => out.set(X.subarray(i * width, (i + 1) * width), r * width));
  return out;
}

/** Squared hinge: L-BFGS on the primal, every one-vs-rest block at once (they are independent). */
async function primal(X: Float32Array, y: Float32Array, n: number, width: number, K: number, binary: boolean, scaling: Scaling, p: LinearSvmParams, record: RecordStep) {
  const Z = standardisedColumns(X, n, width, scaling);
  const objective = squaredHingeObjective({ Z, y, n, width, blocks: K }, p.C, binary);
  const result = await owlqn(objective, new Float64Array(K * (width + 1)), { l1: new Float64Array(K * (width + 1)), maxIter: p.max_iter, tol: classBalancedTolerance(p.tol, y, n, binary ? 2 : K), onIteration: (iteration, x) => record(iteration, x) });
  if (result.iterations === 0) await record(1, result.x);
  return { x: result.x, solver: `primal L-BFGS, ${result.iterations} iterations${result.converged ? '' : ' (max_iter reached)'}` };
}

/** Hinge: liblinear's dual coordinate descent per class, a pass of each at a time. */
async function dual(X: Float32Array, y: Float32Array, n: number, width: number, K: number, binary: boolean, scaling: Scaling, p: LinearSvmParams, record: RecordStep) {
  const Z = standardisedRows(X, n, width, scaling);
  const QD = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 1;
    for (let j = 0; j < width; j++) s += Z[i * width + j] ** 2;
    QD[i] = s;
  }
  const solvers = Array.from({ length: K }, (_, k) => {
    const sign = Int8Array.from(y, (label) => ((binary ? label === 1 : label === k) ? 1 : -1));
    return new DualCoordinateDescent(Z, sign, QD, n, width, p.loss, p.C, p.tol);
  });
  const random = seededRandom(p.seed);
  const x = new Float64Array(K * (width + 1));
  for (let iteration = 1; iteration <= p.max_iter && solvers.some((s) => !s.done); iteration++) {
    for (const solver of solvers) if (!solver.done) solver.pass(random);
    solvers.forEach((s, k) => x.set(s.w, k * (width + 1)));
    await record(iteration, x);
  }
  const unfinished = solvers.filter((s) => !s.done).length;
  return { x, solver: `dual coordinate descent, ${Math.max(...solvers.map((s) => s.passes))} passes${unfinished ? ` (max_iter reached on ${unfinished} of ${K})` : ''}` };
}
