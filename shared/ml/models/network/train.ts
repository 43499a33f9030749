import type * as tfjs from '@tensorflow/tfjs';
import { MloopError } from '../../../core/errors';
import { encodedWidth } from '../../../data/encoding';
import { seededRandom, shuffleInPlace } from '../../../data/random';
import { softmaxRows } from '../../softmax';
import type { OnProgress, TrainedModel } from '../../trained_model';
import type { TrainingData } from '../../training_data';
import { exportOnnx, type DenseLayer, type DenseNetwork } from './onnx';
import { resolveNetworkParams, type NetworkParams } from './params';
import { fitPreprocessing, preprocess } from './preprocessing';
import { EarlyStopping, STOPPING_SMOOTHING, STOPPING_TOLERANCE } from './early_stopping';
import { NetworkStep } from './step';
import { selectBackend, type Tf } from './tf_backend';

/**
 * Trains a dense network with TensorFlow.js — an MLP, or logistic/softmax/linear regression as a
 * network without hidden layers — for any task, and exports it to ONNX. The loop is written out rather
 * than using `model.fit` so that shuffling and initialisation come from our seeded generator and the
 * run repeats exactly; a batch's step is NetworkStep's.
 */
export interface NetworkShape {
  /** The family's name, written into the ONNX graph. */
  name: string;
  /** Without them the network is a linear model: logistic, softmax or linear regression. */
  hiddenLayers: boolean;
}

const PREDICT_CHUNK = 16_384;

export type Head = DenseNetwork['head'];
export type Weights = Array<{ kernel: Float32Array; bias: Float32Array }>;

/** Balanced weights n / (K · n_k), capped; a class absent from training gets the cap (it is never used). */
function classWeights(y: ArrayLike<number>, classes: number, p: NetworkParams): Float32Array {
  if (p.class_weight === 'none') return new Float32Array(classes).fill(1);
  const counts = new Float64Array(classes);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  return Float32Array.from(counts, (c) => (c > 0 ? Math.min(p.max_class_weight, y.length / (classes * c)) : p.max_class_weight));
}

/** Mean and std of a regression target, so that the network fits a unit-scale value whatever the units. */
function targetScale(y: ArrayLike<number>): { mean: number; std: number } {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i];
  mean /= y.length;
  let sq = 0;
  for (let i = 0; i < y.length; i++) sq += (y[i] - mean) ** 2;
  const std = Math.sqrt(sq / y.length);
  return { mean, std: std > 0 && Number.isFinite(std) ? std : 1 };
}

/** He-uniform before a Relu, Glorot-uniform before the head, drawn from the seeded generator. */
function initialKernel(inputs: number, units: number, last: boolean, random: ReturnType<typeof seededRandom>): Float32Array {
  const limit = last ? Math.sqrt(6 / (inputs + units)) : Math.sqrt(6 / inputs);
  return Float32Array.from({ length: inputs * units }, () => (2 * random.next() - 1) * limit);
}

function forward(tf: Tf, x: tfjs.Tensor2D, layers: Array<{ W: tfjs.Tensor2D; b: tfjs.Tensor1D }>): tfjs.Tensor2D {
  return layers.reduce((h, { W, b }, k) => {
    const z = tf.add(tf.matMul(h, W), b) as tfjs.Tensor2D;
    return k < layers.length - 1 ? tf.relu(z) : z;
  }, x);
}

/**
 * The validation loss the early stopping watches, from the network's raw outputs: weighted
 * cross-entropy for classes (the training loss), mean squared error of the scaled target for values.
 */
function validationLoss(head: Head, out: Float32Array, y: ArrayLike<number>, weights: Float32Array, scale: { mean: number; std: number }): number {
  const n = y.length;
  let sum = 0;
  if (head === 'sigmoid') {
    for (let i = 0; i < n; i++) {
      const z = out[i];
      sum += weights[y[i]] * (Math.max(z, 0) - z * y[i] + Math.log1p(Math.exp(-Math.abs(z))));
    }
  } else if (head === 'softmax') {
    const K = out.length / n;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, out[i * K + k]);
      let total = 0;
      for (let k = 0; k < K; k++) total += Math.exp(out[i * K + k] - max);
      sum += weights[y[i]] * (max + Math.log(total) - out[i * K + y[i]]);
    }
  } else {
    for (let i = 0; i < n; i++) sum += (out[i] - (y[i] - scale.mean) / scale.std) ** 2;
  }
  return sum / n;
}

/** What the ONNX head computes, from the trainer's raw outputs. */
function applyHead(head: Head, out: Float32Array, n: number): Float32Array {
  if (head === 'sigmoid') return out.map((z) => 1 / (1 + Math.exp(-z)));
  if (head === 'identity') return out;
  return softmaxRows(out, n, out.length / n);
}

/** Regression: the target's scaling moves into the last layer, so the graph outputs the value itself. */
function foldTargetScale(weights: Weights, scale: { mean: number; std: number }): Weights {
  const last = weights[weights.length - 1];
  return [
    ...weights.slice(0, -1),
    { kernel: last.kernel.map((w) => w * scale.std), bias: last.bias.map((b) => b * scale.std + scale.mean) },
  ];
}

function headOf(data: TrainingData): { head: Head; outputs: number } {
  if (data.task === 'binary') return { head: 'sigmoid', outputs: 1 };
  if (data.task === 'regression') return { head: 'identity', outputs: 1 };
  const classes = data.classes?.length ?? 0;
  if (classes < 2) throw new MloopError('invalid_argument', `a multiclass target needs at least 2 classes, got ${classes}`);
  return { head: 'softmax', outputs: classes };
}

export async function trainNetwork(
  shape: NetworkShape,
  data: TrainingData,
  params: Record<string, unknown> = {},
  onProgress?: OnProgress,
): Promise<TrainedModel> {
  const p = resolveNetworkParams(params);
  const { tf, name: backend } = await selectBackend(p.backend);
  const width = encodedWidth(data.specs);
  const { train, validation } = data;
  if (train.n === 0 || validation.n === 0) throw new MloopError('invalid_argument', 'training needs rows in both the train and validation splits');
  const { head, outputs } = headOf(data);

  const prep = fitPreprocessing(train.X, train.n, data.specs);
  const Xtrain = preprocess(train.X, train.n, prep);
  const Xval = preprocess(validation.X, validation.n, prep);
  const weightOf = head === 'identity' ? new Float32Array(1).fill(1) : classWeights(train.y, Math.max(2, outputs), p);
  const scale = head === 'identity' ? targetScale(train.y) : { mean: 0, std: 1 };

  const random = seededRandom(p.seed);
  const sizes = shape.hiddenLayers ? [width, ...p.hidden_units, outputs] : [width, outputs];
  const initial: Weights = sizes.slice(1).map((units, k) => ({
    kernel: initialKernel(sizes[k], units, k === sizes.length - 2, random),
    bias: new Float32Array(units),
  }));
  const step = new NetworkStep(tf, sizes, head, initial, p.learning_rate);

  const snapshot = (): Weights => step.weights();
  const outputsOf = (X: Float32Array, n: number, weights: Weights) => {
    const out = new Float32Array(n * outputs);
    for (let start = 0; start < n; start += PREDICT_CHUNK) {
      const m = Math.min(PREDICT_CHUNK, n - start);
      const result = tf.tidy(() => {
        const layers = weights.map((w, k) => ({ W: tf.tensor2d(w.kernel, [sizes[k], sizes[k + 1]]), b: tf.tensor1d(w.bias) }));
        return forward(tf, tf.tensor2d(X.subarray(start * width, (start + m) * width), [m, width]), layers);
      });
      out.set(result.dataSync(), start * outputs);
      result.dispose();
    }
    return out;
  };

  const history: TrainedModel['history'] = [];
  let best: { iteration: number; loss: number; weights: Weights } = { iteration: 0, loss: Infinity, weights: [] };
  const stopping = new EarlyStopping({ patience: p.patience, minEpochs: p.min_epochs, smoothing: STOPPING_SMOOTHING, tolerance: STOPPING_TOLERANCE });
  const order = new Uint32Array(train.n).map((_, i) => i);
  const targetWidth = head === 'softmax' ? outputs : 1;
  // the epoch's rows in shuffled order, written once an epoch; each batch is a view of them
  const xs = new Float32Array(train.n * width);
  const ts = new Float32Array(train.n * targetWidth);
  const ws = new Float32Array(train.n);
  try {
    for (let epoch = 1; epoch <= p.epochs; epoch++) {
      const started = performance.now();
      shuffleInPlace(order, random);
      if (head === 'softmax') ts.fill(0);
      for (let k = 0; k < train.n; k++) {
        const row = order[k];
        const y = train.y[row];
        for (let j = 0, from = row * width, to = k * width; j < width; j++) xs[to + j] = Xtrain[from + j];
        if (head === 'softmax') ts[k * targetWidth + y] = 1;
        else ts[k] = head === 'identity' ? (y - scale.mean) / scale.std : y;
        ws[k] = head === 'identity' ? 1 : weightOf[y];
      }
      for (let start = 0; start < train.n; start += p.batch_size) {
        const end = Math.min(start + p.batch_size, train.n);
        step.train(xs.subarray(start * width, end * width), ts.subarray(start * targetWidth, end * targetWidth), ws.subarray(start, end), end - start);
      }
      // the one read of the epoch: the summed training loss, then the weights
      const loss = step.takeLossSum() / train.n;
      const weights = snapshot();
      const valLoss = validationLoss(head, outputsOf(Xval, validation.n, weights), validation.y, weightOf, scale);
      history.push({ iteration: epoch, loss, val_loss: valLoss });
      if (valLoss < best.loss) best = { iteration: epoch, loss: valLoss, weights };
      await onProgress?.({ iteration: epoch, iterations: p.epochs, loss, val_loss: valLoss, seconds: (performance.now() - started) / 1000 });
      if (stopping.update(valLoss)) break;
    }
  } finally {
    step.dispose();
  }
  if (best.iteration === 0) {
    throw new MloopError('failed_precondition', `training diverged: the validation loss was never finite (learning rate ${p.learning_rate})`);
  }

  const final = head === 'identity' ? foldTargetScale(best.weights, scale) : best.weights;
  const layers: DenseLayer[] = final.map((w, k) => ({ kernel: w.kernel, bias: w.bias, inputs: sizes[k], units: sizes[k + 1] }));
  return {
    onnx: exportOnnx({ ...prep, layers, head }, `mloop ${shape.name} (${data.task}), tfjs ${backend}, best epoch ${best.iteration}`),
    predict: (X, n) => applyHead(head, outputsOf(preprocess(X, n, prep), n, final), n),
    history,
    bestIteration: best.iteration,
    maxIterations: p.epochs,
    backend,
    explainer: {
      kind: 'network',
      link: head === 'sigmoid' ? 'logistic' : head,
      log_scale: Array.from(prep.logScale),
      mean: Array.from(prep.mean),
      std: Array.from(prep.std),
      layers: layers.map((l) => ({ kernel: Array.from(l.kernel), bias: Array.from(l.bias), inputs: l.inputs, units: l.units })),
    },
    // without hidden layers, recording their default would only mislead
    params: shape.hiddenLayers ? { ...p } : Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'hidden_units')),
  };
}
