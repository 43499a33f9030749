import { MloopError } from '../../../core/errors';
import { linearExplainer } from './explainer';
import { encodedColumns, encodedWidth } from '../../../data/encoding';
import type { Task } from '../../../data/prepare';
import { ONNX_OUTPUTS } from '../../onnx_io';
import type { OnProgress, TrainedModel } from '../../trained_model';
import type { TrainingData } from '../../training_data';
import { labelsOf, numClassOf } from '../gbdt/labels';
import { elasticNet } from './elastic_net';
import { ridgeDirect, ridgeDirectFits } from './ridge';
import { predictLinear, reportCoefficients, type LinearHead, type LinearModel } from './linear_model';
import { logisticObjective } from './logistic_loss';
import { exportLinearOnnx } from './onnx';
import { owlqn } from './owlqn';
import { classBalancedTolerance } from './tolerance';
import { penaltyWeights, resolveLinearParams, type LinearParams } from './params';
import { fitScaling, foldScaling, standardisedColumns, type Scaling } from './standardise';

/**
 * Trains the `linear` family: coordinate descent for a value, L-BFGS / OWL-QN on the log-loss for
 * classes (multinomial beyond two), both on standardised columns and to convergence — there is no
 * early stopping, the validation split only draws the curve. The model kept has the scaling folded in.
 */
export type { LinearParams } from './params';

/** The splits' matrices checked as both linear families need them: [rows × width], every value finite. Returns the width. */
export function checkedWidth(data: TrainingData): number {
  const { train, validation } = data;
  const width = encodedWidth(data.specs);
  if (train.n === 0 || validation.n === 0) throw new MloopError('invalid_argument', 'training needs rows in both the train and validation splits');
  if (train.X.length !== train.n * width || validation.X.length !== validation.n * width) {
    throw new MloopError('invalid_argument', `the feature matrices are not [rows × ${width}], the width the features encode to`);
  }
  checkFinite(train.X, 'training');
  checkFinite(validation.X, 'validation');
  return width;
}

/** Refuses what the encoding never produces and a linear model cannot read. */
function checkFinite(X: Float32Array, split: string): void {
  for (let i = 0; i < X.length; i++) {
    if (!Number.isFinite(X[i])) throw new MloopError('invalid_argument', `the ${split} features hold ${X[i]} at position ${i}: a linear model needs finite values (missing ones filled, as the encoding does)`);
  }
}

/** Output names of the coefficients: the positive class, each class, or the value. */
export function outputNames(task: Task, classes: readonly string[] | null | undefined, K: number): string[] {
  if (task === 'regression') return ['value'];
  if (task === 'binary') return [classes?.[1] ?? 'positive'];
  return Array.from({ length: K }, (_, k) => classes?.[k] ?? String(k));
}

/** The mean loss the history reports: squared error for a value, log-loss for classes. */
export function meanLoss(task: Task, predictions: Float32Array, y: ArrayLike<number>, n: number): number {
  let sum = 0;
  const K = predictions.length / Math.max(n, 1);
  for (let i = 0; i < n; i++) {
    if (task === 'regression') sum += (predictions[i] - y[i]) ** 2;
    else if (task === 'binary') sum -= Math.log(Math.max(y[i] === 1 ? predictions[i] : 1 - predictions[i], 1e-15));
    else sum -= Math.log(Math.max(predictions[i * K + y[i]], 1e-15));
  }
  return sum / Math.max(n, 1);
}

/** Standardised-scale parameters, K blocks of [w…, b], as the served model. */
function servedModel(x: Float64Array, width: number, K: number, head: LinearHead, scaling: Scaling): LinearModel {
  const weights = new Float64Array(width * K);
  const bias = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < width; j++) weights[j * K + k] = x[k * (width + 1) + j];
    bias[k] = x[k * (width + 1) + width];
  }
  return { width, head, ...foldScaling(weights, bias, scaling) };
}

export async function trainLinear(data: TrainingData, params: Record<string, unknown> = {}, onProgress?: OnProgress): Promise<TrainedModel> {
  const p: LinearParams = resolveLinearParams(params);
  const { task, train, validation } = data;
  const width = checkedWidth(data);
  const K = numClassOf(task, data.classes, [train, validation]);
  const y = labelsOf(train, task, K);
  const yVal = labelsOf(validation, task, K);
  const { n } = train;
  const scaling = fitScaling(train.X, n, width);
  const Z = standardisedColumns(train.X, n, width, scaling);
  const { l1, l2 } = penaltyWeights(p);
  const head: LinearHead = task === 'regression' ? 'identity' : task === 'binary' ? 'sigmoid' : 'softmax';
  const blocks = task === 'multiclass' ? K : 1;
  const history: TrainedModel['history'] = [];
  const record = async (iteration: number, x: Float64Array, loss: number, started: number) => {
    const model = servedModel(x, width, blocks, head, scaling);
    const valLoss = meanLoss(task, predictLinear(model, validation.X, validation.n), yVal, validation.n);
    history.push({ iteration, loss, val_loss: valLoss });
    await onProgress?.({ iteration, iterations: p.max_iter, loss, val_loss: valLoss, seconds: (performance.now() - started) / 1000 });
  };

  let x: Float64Array;
  let solver: string;
  let started = performance.now();
  if (task === 'regression') {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += y[i];
    mean /= n;
    const centred = Float64Array.from(y, (v) => v - mean);
    const withIntercept = (w: Float64Array) => {
      const params = new Float64Array(width + 1);
      params.set(w);
      params[width] = mean;
      return params;
    };
    // ridge in closed form where affordable, the passes then confirming it by the duality gap
    const direct = l1 === 0 && l2 > 0 && ridgeDirectFits(n, width) ? ridgeDirect(Z, centred, n, width, l2) : null;
    const result = await elasticNet(Z, centred, n, width, {
      l1,
      l2,
      start: direct,
      maxIter: p.max_iter,
      tol: p.tol,
      onPass: async (pass, w, mse) => {
        await record(pass, withIntercept(w), mse, started);
        started = performance.now();
      },
    });
    x = withIntercept(result.w);
    solver = `${direct ? 'Cholesky, then ' : ''}coordinate descent, ${result.passes} passes, duality gap ${result.gap.toExponential(2)}${result.converged ? '' : ' (max_iter reached)'}`;
  } else {
    const objective = logisticObjective({ Z, y, n, width, blocks }, l2);
    const start = new Float64Array(blocks * (width + 1));
    // from the class frequencies, so that the first steps learn features rather than the base rate
    const counts = new Float64Array(Math.max(K, 2));
    for (let i = 0; i < n; i++) counts[y[i]]++;
    if (blocks === 1) start[width] = Math.log(Math.max(counts[1], 0.5) / Math.max(counts[0], 0.5));
    else for (let k = 0; k < K; k++) start[k * (width + 1) + width] = Math.log(Math.max(counts[k], 0.5) / n);
    const l1Weights = new Float64Array(start.length);
    for (let k = 0; k < blocks; k++) l1Weights.fill(l1, k * (width + 1), k * (width + 1) + width);
    const result = await owlqn(objective, start, {
      l1: l1Weights,
      maxIter: p.max_iter,
      tol: classBalancedTolerance(p.tol, y, n, K),
      onIteration: async (iteration, params, F) => {
        let penalty = 0;
        for (let i = 0; i < params.length; i++) if (i % (width + 1) !== width) penalty += l1 * Math.abs(params[i]) + 0.5 * l2 * params[i] ** 2;
        await record(iteration, params, F - penalty, started);
        started = performance.now();
      },
    });
    x = result.x;
    solver = `${l1 > 0 ? 'OWL-QN' : 'L-BFGS'}, ${result.iterations} iterations${result.converged ? '' : ' (max_iter reached)'}`;
  }

  const model = servedModel(x, width, blocks, head, scaling);
  // nothing to learn (a constant target, no usable column): the starting point is the model
  if (history.length === 0) await record(1, x, meanLoss(task, predictLinear(model, train.X, n), y, n), started);
  const output = ONNX_OUTPUTS[task];
  return {
    onnx: exportLinearOnnx(model, output, `mloop linear ${task}, penalty ${p.penalty}, alpha ${p.alpha}`),
    predict: (X, rows) => predictLinear(model, X, rows),
    history,
    bestIteration: Math.max(history.length, 1),
    backend: `js, ${solver}`,
    params: p,
    coefficients: reportCoefficients(encodedColumns(data.specs), outputNames(task, data.classes, blocks), model.weights, model.bias),
    explainer: linearExplainer(model, scaling.mean),
  };
}
