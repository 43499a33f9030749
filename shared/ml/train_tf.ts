import type * as tfjs from '@tensorflow/tfjs';
import { MloopError } from '../core/errors';
import { encodedColumns, encodedWidth } from '../data/encoding';
import type { PreparedData } from '../data/prepare';
import { seededRandom, shuffleInPlace } from '../data/random';
import { exportOnnx, type DenseLayer } from './onnx_export';
import { selectBackend, type BackendName, type BackendPreference, type Tf } from './tf_backend';

/**
 * Trains a binary classifier (an MLP, or logistic regression as an MLP without hidden layers) with
 * TensorFlow.js and exports it to ONNX. The loop is written out rather than using `model.fit` so that
 * shuffling and initialisation come from our seeded generator and the run repeats exactly.
 */

/** Type aliases rather than interfaces, so that they can be stored where a plain JSON record is expected. */
export type TrainParams = {
  algorithm: 'mlp' | 'logistic';
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Epochs without a better validation loss before stopping; 0 trains every epoch. */
  patience: number;
  hiddenUnits: number[];
  seed: number;
  backend: BackendPreference;
  /** Upper bound of the balanced class weight, so a handful of positives cannot dominate every batch. */
  maxClassWeight: number;
};

export type EpochProgress = {
  epoch: number;
  epochs: number;
  loss: number;
  val_loss: number;
  /** Wall time of this epoch. */
  seconds: number;
};

export interface TrainedModel {
  onnx: Uint8Array;
  /** Probabilities from the trainer's own forward pass over raw encoded rows [n × width]. */
  predict(X: Float32Array, n: number): Float32Array;
  history: Array<{ epoch: number; loss: number; val_loss: number }>;
  /** 1-based; the weights of this epoch are the ones kept. */
  bestEpoch: number;
  /** Numeric features fed to the network as sign(x)·log(1 + |x|) because they are heavily skewed. */
  logScaled: string[];
  backend: BackendName;
  params: TrainParams;
}

export type TrainingData = Pick<PreparedData, 'specs' | 'train' | 'validation'>;

const DEFAULT_TRAIN_PARAMS: TrainParams = {
  algorithm: 'mlp',
  epochs: 30,
  batchSize: 512,
  learningRate: 0.003,
  patience: 3,
  hiddenUnits: [32, 16],
  seed: 42,
  backend: 'auto',
  maxClassWeight: 50,
};

const PREDICT_CHUNK = 16_384;

/**
 * Money columns span many orders of magnitude; standardised raw, a zero balance and a small one look
 * alike and the network needs many epochs to tell them apart. A signed log fixes that; it is applied to
 * numeric columns whose training skewness exceeds this.
 */
const SKEW_FOR_LOG = 2;

/** The float32 steps the ONNX graph takes (Abs, Add 1, Log, Sign, Mul), so that both compute the same. */
function signedLog(x: number): number {
  return Math.sign(x) * Math.fround(Math.log(Math.fround(Math.abs(x) + 1)));
}

function skewedColumns(X: Float32Array, n: number, data: TrainingData): Uint8Array {
  const columns = encodedColumns(data.specs);
  const width = columns.length;
  const mask = new Uint8Array(width);
  columns.forEach((column, j) => {
    if (column.kind !== 'numeric') return;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += X[i * width + j];
    mean /= n;
    let m2 = 0;
    let m3 = 0;
    for (let i = 0; i < n; i++) {
      const d = X[i * width + j] - mean;
      m2 += d * d;
      m3 += d * d * d;
    }
    m2 /= n;
    m3 /= n;
    if (m2 > 0 && Math.abs(m3 / m2 ** 1.5) > SKEW_FOR_LOG) mask[j] = 1;
  });
  return mask;
}

/** Per encoded column, over the training rows; a constant column gets std 1 so it scales to 0, not NaN. */
function moments(X: Float32Array, n: number, width: number): { mean: Float32Array; std: Float32Array } {
  const sum = new Float64Array(width);
  const sq = new Float64Array(width);
  for (let i = 0; i < n; i++) {
    for (let j = 0, at = i * width; j < width; j++, at++) sum[j] += X[at];
  }
  const mean = sum.map((s) => s / n);
  for (let i = 0; i < n; i++) {
    for (let j = 0, at = i * width; j < width; j++, at++) sq[j] += (X[at] - mean[j]) ** 2;
  }
  const std = sq.map((s) => Math.sqrt(s / n));
  return { mean: Float32Array.from(mean), std: Float32Array.from(std, (s) => (s > 0 && Number.isFinite(s) ? s : 1)) };
}

type Weights = Array<{ kernel: Float32Array; bias: Float32Array }>;

interface Preprocessing {
  logScale: Uint8Array;
  mean: Float32Array;
  std: Float32Array;
}

/** Signed log where masked, then standardisation in two float32 steps, as the graph's Sub and Div. */
function preprocess(X: Float32Array, n: number, { logScale, mean, std }: Preprocessing): Float32Array {
  const width = logScale.length;
  const out = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    for (let j = 0, at = i * width; j < width; j++, at++) {
      const x = logScale[j] ? signedLog(X[at]) : X[at];
      out[at] = Math.fround(x - mean[j]) / std[j];
    }
  }
  return out;
}

function fitPreprocessing(X: Float32Array, n: number, data: TrainingData): Preprocessing {
  const logScale = skewedColumns(X, n, data);
  const logged = X.map((x, at) => (logScale[at % logScale.length] ? signedLog(x) : x));
  return { logScale, ...moments(logged, n, logScale.length) };
}

/** He-uniform before a Relu, Glorot-uniform before the sigmoid, drawn from the seeded generator. */
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

/** Weighted binary cross-entropy from logits, the stable form, averaged over rows. */
function weightedLoss(logits: Float32Array, y: Uint8Array, weights: [number, number]): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const z = logits[i];
    sum += weights[y[i]] * (Math.max(z, 0) - z * y[i] + Math.log1p(Math.exp(-Math.abs(z))));
  }
  return sum / logits.length;
}

function resolveParams(params: Partial<TrainParams>): TrainParams {
  // undefined means "the default", as when a dataset's mloop.json leaves epochs out
  const given = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Partial<TrainParams>;
  const p: TrainParams = { ...DEFAULT_TRAIN_PARAMS, ...given };
  const count = (v: number) => Number.isInteger(v) && v > 0;
  const positive = (v: number) => Number.isFinite(v) && v > 0;
  const valid =
    [p.epochs, p.batchSize, ...p.hiddenUnits].every(count) &&
    [p.learningRate, p.maxClassWeight].every(positive) &&
    Number.isInteger(p.patience) &&
    p.patience >= 0 &&
    Number.isInteger(p.seed);
  if (!valid) throw new MloopError('invalid_argument', `invalid training parameters: ${JSON.stringify(p)}`);
  return p;
}

export async function trainBinaryClassifier(
  data: TrainingData,
  params: Partial<TrainParams> = {},
  onEpoch?: (progress: EpochProgress) => void | Promise<void>,
): Promise<TrainedModel> {
  const p = resolveParams(params);
  const { tf, name: backend } = await selectBackend(p.backend);
  const width = encodedWidth(data.specs);
  const { train, validation } = data;
  if (train.n === 0 || validation.n === 0) throw new MloopError('invalid_argument', 'training needs rows in both the train and validation splits');

  const prep = fitPreprocessing(train.X, train.n, data);
  const Xtrain = preprocess(train.X, train.n, prep);
  const Xval = preprocess(validation.X, validation.n, prep);
  const positives = train.y.reduce((a, b) => a + b, 0);
  // Balanced weights, n / (2 · n_class): the rare class counts as much as the common one in the loss.
  const classWeights: [number, number] = [
    Math.min(p.maxClassWeight, train.n / (2 * Math.max(1, train.n - positives))),
    Math.min(p.maxClassWeight, train.n / (2 * Math.max(1, positives))),
  ];

  const random = seededRandom(p.seed);
  const sizes = p.algorithm === 'mlp' ? [width, ...p.hiddenUnits, 1] : [width, 1];
  // tidy frees the initial values; variables outlive it
  const variables = tf.tidy(() =>
    sizes.slice(1).map((units, k) => ({
      W: tf.variable(tf.tensor2d(initialKernel(sizes[k], units, k === sizes.length - 2, random), [sizes[k], units])),
      b: tf.variable(tf.zeros([units])) as tfjs.Variable<tfjs.Rank.R1>,
    })),
  );
  const varList = variables.flatMap(({ W, b }) => [W, b]);
  const optimizer = tf.train.adam(p.learningRate);

  const snapshot = (): Weights => variables.map(({ W, b }) => ({ kernel: W.dataSync().slice() as Float32Array, bias: b.dataSync().slice() as Float32Array }));
  const logitsOf = (X: Float32Array, n: number, weights: Weights) => {
    const out = new Float32Array(n);
    for (let start = 0; start < n; start += PREDICT_CHUNK) {
      const m = Math.min(PREDICT_CHUNK, n - start);
      const logits = tf.tidy(() => {
        const layers = weights.map((w, k) => ({ W: tf.tensor2d(w.kernel, [sizes[k], sizes[k + 1]]), b: tf.tensor1d(w.bias) }));
        return forward(tf, tf.tensor2d(X.subarray(start * width, (start + m) * width), [m, width]), layers);
      });
      out.set(logits.dataSync(), start);
      logits.dispose();
    }
    return out;
  };

  const history: TrainedModel['history'] = [];
  let best: { epoch: number; loss: number; weights: Weights } = { epoch: 0, loss: Infinity, weights: [] };
  const order = new Uint32Array(train.n).map((_, i) => i);
  const xb = new Float32Array(p.batchSize * width);
  const yb = new Float32Array(p.batchSize);
  const wb = new Float32Array(p.batchSize);
  try {
    for (let epoch = 1; epoch <= p.epochs; epoch++) {
      const started = performance.now();
      shuffleInPlace(order, random);
      let lossSum = 0;
      for (let start = 0; start < train.n; start += p.batchSize) {
        const m = Math.min(p.batchSize, train.n - start);
        for (let k = 0; k < m; k++) {
          const row = order[start + k];
          xb.set(Xtrain.subarray(row * width, (row + 1) * width), k * width);
          yb[k] = train.y[row];
          wb[k] = classWeights[train.y[row]];
        }
        const x = tf.tensor2d(xb.subarray(0, m * width), [m, width]);
        const y = tf.tensor2d(yb.subarray(0, m), [m, 1]);
        const w = tf.tensor2d(wb.subarray(0, m), [m, 1]);
        const layers = variables.map(({ W, b }) => ({ W: W as tfjs.Tensor2D, b: b as tfjs.Tensor1D }));
        const cost = optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(y, forward(tf, x, layers), w) as tfjs.Scalar, true, varList);
        lossSum += cost!.dataSync()[0] * m;
        tf.dispose([x, y, w, cost!]);
      }
      const weights = snapshot();
      const valLoss = weightedLoss(logitsOf(Xval, validation.n, weights), validation.y, classWeights);
      const loss = lossSum / train.n;
      history.push({ epoch, loss, val_loss: valLoss });
      if (valLoss < best.loss) best = { epoch, loss: valLoss, weights };
      await onEpoch?.({ epoch, epochs: p.epochs, loss, val_loss: valLoss, seconds: (performance.now() - started) / 1000 });
      if (p.patience > 0 && epoch - best.epoch >= p.patience) break;
    }
  } finally {
    tf.dispose(varList);
    optimizer.dispose();
  }
  if (best.epoch === 0) {
    throw new MloopError('failed_precondition', `training diverged: the validation loss was never finite (learning rate ${p.learningRate})`);
  }

  const layers: DenseLayer[] = best.weights.map((w, k) => ({ kernel: w.kernel, bias: w.bias, inputs: sizes[k], units: sizes[k + 1] }));
  return {
    onnx: exportOnnx({ ...prep, layers }, `mloop ${p.algorithm}, tfjs ${backend}, best epoch ${best.epoch}`),
    predict: (X, n) => {
      const logits = logitsOf(preprocess(X, n, prep), n, best.weights);
      return logits.map((z) => 1 / (1 + Math.exp(-z)));
    },
    history,
    bestEpoch: best.epoch,
    logScaled: encodedColumns(data.specs).filter((_, j) => prep.logScale[j]).map((c) => c.feature),
    backend,
    params: p,
  };
}
