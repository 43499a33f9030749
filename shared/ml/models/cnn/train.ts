import type * as tfjs from '@tensorflow/tfjs';
import { errorMessage, MloopError } from '../../../core/errors';
import type { ImageTrainingData } from '../../../data/images/image_spec';
import { seededRandom, shuffleInPlace, type Random } from '../../../data/random';
import type { WarmStart } from '../family';
import type { ImageTrainedModel, OnProgress, TrainedModel } from '../../trained_model';
import { BACKEND_CHAIN, selectBackend, type BackendPreference, type SelectedBackend, type Tf } from '../network/tf_backend';
import { augmentBatch } from './augment';
import { classWeights } from './class_weights';
import { cnnLogits, cnnProbabilities, tensorsOf, trainableOf, withTrainable, type CnnTensors } from './forward';
import { exportCnnOnnx, readCnnWeights } from './onnx';
import { resolveCnnParams, type CnnParams } from './params';
import { denseFeatures, initialWeights, warmStartWeights, type CnnWeights } from './weights';

/**
 * Trains the CNN with TensorFlow.js on preprocessed images, and exports it to ONNX. As for the dense
 * networks the loop is written out, so that initialisation, shuffling, augmentation and dropout all come
 * from one seeded generator and a run repeats exactly on a backend.
 */

/** Keras' default is 0.99, which lags behind for the few hundred steps a small image set trains. */
const BN_MOMENTUM = 0.9;

type Split = ImageTrainingData['train'];

function checkData(data: ImageTrainingData, blocks: number): void {
  const { spec, classes } = data;
  const fail = (message: string) => {
    throw new MloopError('invalid_argument', message);
  };
  if (spec.layout !== 'NHWC' || ![1, 3].includes(spec.channels) || !Number.isInteger(spec.size) || spec.size < 1) fail(`unsupported image spec ${JSON.stringify(spec)}`);
  if (classes.length < 2) fail(`an image classifier needs at least 2 classes, got ${classes.length}`);
  // each block halves the side; the last one must still have a pixel to pool
  if (spec.size < 2 ** blocks) fail(`images of ${spec.size}×${spec.size} are too small for ${blocks} convolution blocks, each halving the side: use at least ${2 ** blocks} pixels or fewer filters entries`);
  const pixels = spec.size * spec.size * spec.channels;
  for (const [name, split] of Object.entries({ train: data.train, validation: data.validation })) {
    if (split.n === 0) fail(`training needs images in both the train and validation splits; ${name} has none`);
    if (split.x.length !== split.n * pixels || split.y.length !== split.n) fail(`the ${name} split holds ${split.x.length} values and ${split.y.length} labels for ${split.n} images of ${pixels} values`);
    if (split.y.some((k) => !(k >= 0 && k < classes.length))) fail(`the ${name} split has a label outside the ${classes.length} classes`);
  }
}

/** One training step on two blank images: throws where the backend lacks a kernel the training needs. */
function probe(tf: Tf, weights: CnnWeights, side: number, channels: number): void {
  try {
    tf.tidy(() => {
      const t = tensorsOf(tf, weights);
      const x = tf.ones([2, side, side, channels]) as tfjs.Tensor4D;
      const target = tf.oneHot([0, 1], weights.dense.classes);
      const loss = (...trainable: tfjs.Tensor[]) => tf.losses.softmaxCrossEntropy(target, cnnLogits(tf, x, withTrainable(t, trainable), { training: true, dropout: null }));
      for (const g of tf.grads(loss)(trainableOf(t))) g.dataSync();
    });
  } catch (err) {
    // a backward pass that fails leaves the tensors its tape saved for it undisposed: freed here
    for (const node of tf.engine().state.activeTape ?? []) tf.dispose(node.saved ?? []);
    throw err;
  }
}

/**
 * The first backend of the chain, from the preference on, that can train this network: the wasm backend
 * lacks some convolution gradients (until they are registered for it), and is passed over then.
 */
async function trainingBackend(preference: BackendPreference, canTrain: (tf: Tf) => void): Promise<SelectedBackend> {
  const skipped: SelectedBackend['skipped'] = [];
  for (let next: BackendPreference | undefined = preference; next; ) {
    const selected = await selectBackend(next);
    skipped.push(...selected.skipped);
    try {
      canTrain(selected.tf);
      return { ...selected, skipped };
    } catch (err) {
      skipped.push({ name: selected.name, reason: `cannot train the CNN: ${errorMessage(err).split('\n')[0]}` });
      next = BACKEND_CHAIN[BACKEND_CHAIN.indexOf(selected.name) + 1];
    }
  }
  throw new MloopError('failed_precondition', `no TensorFlow.js backend can train the CNN: ${JSON.stringify(skipped)}`);
}

function snapshot(t: CnnTensors): CnnWeights {
  const read = (x: tfjs.Tensor) => x.dataSync().slice() as Float32Array;
  return {
    blocks: t.blocks.map((b) => ({
      inputs: b.kernel.shape[2],
      filters: b.kernel.shape[3],
      kernel: read(b.kernel),
      gamma: read(b.gamma),
      beta: read(b.beta),
      movingMean: read(b.movingMean),
      movingVariance: read(b.movingVariance),
    })),
    dense: { kernel: read(t.dense.kernel), bias: read(t.dense.bias), features: t.dense.kernel.shape[0], classes: t.dense.kernel.shape[1] },
  };
}

/** The first most probable class, as numpy's argmax. */
const argmax = (row: ArrayLike<number>, from: number, K: number) => {
  let best = 0;
  for (let k = 1; k < K; k++) if (row[from + k] > row[from + best]) best = k;
  return best;
};

/** Weighted cross-entropy (the training loss) and accuracy of probabilities [n × K]. */
function lossAndAccuracy(probabilities: Float32Array, y: Int32Array, weights: Float32Array): { loss: number; accuracy: number } {
  const K = weights.length;
  let loss = 0;
  let right = 0;
  for (let i = 0; i < y.length; i++) {
    const row = probabilities.subarray(i * K, (i + 1) * K);
    loss -= weights[y[i]] * Math.log(Math.max(row[y[i]], 1e-7));
    if (argmax(row, 0, K) === y[i]) right++;
  }
  return { loss: loss / y.length, accuracy: right / y.length };
}

/** The previous model's weights when they fit, else fresh ones and why: a warm start is a shortcut, never a reason to fail. */
function startingWeights(data: ImageTrainingData, p: CnnParams, random: Random, warmStart: WarmStart | undefined) {
  const features = denseFeatures(p.filters, data.spec.size, p.head);
  const fresh = initialWeights(data.spec.channels, p.filters, data.classes.length, random, features);
  if (!warmStart) return { weights: fresh };
  let adapted: ReturnType<typeof warmStartWeights>;
  try {
    adapted = warmStartWeights(readCnnWeights(warmStart.onnx), warmStart.classes, data.spec.channels, p.filters, data.classes, features);
  } catch (err) {
    adapted = { reason: errorMessage(err) };
  }
  return 'weights' in adapted ? { weights: adapted.weights, warmStart: { used: true as const } } : { weights: fresh, warmStart: { used: false as const, reason: adapted.reason } };
}

export async function trainCnn(
  data: ImageTrainingData,
  params: Record<string, unknown> = {},
  onProgress?: OnProgress,
  options: { warmStart?: WarmStart } = {},
): Promise<ImageTrainedModel> {
  const p = resolveCnnParams(params);
  checkData(data, p.filters.length);
  const { spec, classes, train, validation } = data;
  const side = spec.size;
  const channels = spec.channels;
  const pixels = side * side * channels;
  const K = classes.length;
  const random = seededRandom(p.seed);
  const start = startingWeights(data, p, random, options.warmStart);
  const { tf, name: backend, skipped } = await trainingBackend(p.backend, (candidate) => probe(candidate, start.weights, side, channels));
  const weightOf = classWeights(train.y, K, p);

  const variables = tf.tidy(() => tensorsOf(tf, start.weights, (t, trainable) => tf.variable(t, trainable) as unknown as typeof t));
  const trainable = trainableOf(variables) as tfjs.Variable[];
  const all = [...trainable, ...variables.blocks.flatMap((b) => [b.movingMean, b.movingVariance])] as tfjs.Variable[];
  const optimizer = tf.train.adam(p.learning_rate);
  const features = start.weights.dense.features;

  const evaluate = (weights: CnnWeights, split: Split) => lossAndAccuracy(cnnProbabilities(tf, weights, split.x, split.n, side, channels), split.y, weightOf);
  const history: TrainedModel['history'] = [];
  let best: { iteration: number; loss: number; weights: CnnWeights } = { iteration: 0, loss: Infinity, weights: start.weights };
  const order = new Uint32Array(train.n).map((_, i) => i);
  const xb = new Float32Array(p.batch_size * pixels);
  const yb = new Int32Array(p.batch_size);
  const wb = new Float32Array(p.batch_size);
  const db = new Float32Array(p.batch_size * features);
  const keep = 1 - p.dropout;
  try {
    for (let epoch = 1; epoch <= p.epochs; epoch++) {
      const started = performance.now();
      shuffleInPlace(order, random);
      let lossSum = 0;
      let right = 0;
      for (let first = 0; first < train.n; first += p.batch_size) {
        const m = Math.min(p.batch_size, train.n - first);
        for (let k = 0; k < m; k++) {
          const i = order[first + k];
          xb.set(train.x.subarray(i * pixels, (i + 1) * pixels), k * pixels);
          yb[k] = train.y[i];
          wb[k] = weightOf[train.y[i]];
        }
        if (p.augment) augmentBatch(xb, m, side, channels, p, random);
        if (p.dropout > 0) for (let j = 0; j < m * features; j++) db[j] = random.next() < p.dropout ? 0 : 1 / keep;
        const stats: Array<{ mean: tfjs.Tensor1D; variance: tfjs.Tensor1D }> = [];
        let logits: tfjs.Tensor2D | null = null;
        const { value, grads } = tf.tidy(() => {
          const x = tf.tensor4d(xb.subarray(0, m * pixels), [m, side, side, channels]);
          const target = tf.oneHot(tf.tensor1d(yb.subarray(0, m), 'int32'), K);
          const w = tf.tensor1d(wb.subarray(0, m));
          const dropout = p.dropout > 0 ? tf.tensor2d(db.subarray(0, m * features), [m, features]) : null;
          return tf.variableGrads(() => {
            logits = tf.keep(cnnLogits(tf, x, variables, { training: true, dropout, batchStats: stats }));
            return tf.losses.softmaxCrossEntropy(target, logits, w) as tfjs.Scalar;
          }, trainable);
        });
        // the gradients are named after the variables, as the optimizer looks them up
        optimizer.applyGradients(grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
        tf.tidy(() => {
          variables.blocks.forEach((b, k) => {
            (b.movingMean as tfjs.Variable).assign(tf.add(tf.mul(b.movingMean, BN_MOMENTUM), tf.mul(stats[k].mean, 1 - BN_MOMENTUM)));
            (b.movingVariance as tfjs.Variable).assign(tf.add(tf.mul(b.movingVariance, BN_MOMENTUM), tf.mul(stats[k].variance, 1 - BN_MOMENTUM)));
          });
        });
        lossSum += value.dataSync()[0] * m;
        const scores = (logits as tfjs.Tensor2D | null)?.dataSync() ?? new Float32Array(0);
        for (let k = 0; k < m; k++) if (argmax(scores, k * K, K) === yb[k]) right++;
        tf.dispose([value, ...Object.values(grads), ...(logits ? [logits] : []), ...stats.flatMap((s) => [s.mean, s.variance])]);
      }
      const weights = snapshot(variables);
      const val = evaluate(weights, validation);
      const entry = { iteration: epoch, loss: lossSum / train.n, val_loss: val.loss, accuracy: right / train.n, val_accuracy: val.accuracy };
      history.push(entry);
      if (val.loss < best.loss) best = { iteration: epoch, loss: val.loss, weights };
      await onProgress?.({ ...entry, iterations: p.epochs, seconds: (performance.now() - started) / 1000 });
      if (p.patience > 0 && epoch - best.iteration >= p.patience) break;
    }
  } finally {
    tf.dispose(all);
    optimizer.dispose();
  }
  if (best.iteration === 0) {
    throw new MloopError('failed_precondition', `training diverged: the validation loss was never finite (learning rate ${p.learning_rate})`);
  }
  const final = best.weights;
  return {
    onnx: exportCnnOnnx({ weights: final, spec, classes }, `mloop cnn, tfjs ${backend}, best epoch ${best.iteration}`),
    predict: (x, n) => cnnProbabilities(tf, final, x, n, side, channels),
    history,
    bestIteration: best.iteration,
    maxIterations: p.epochs,
    backend,
    params: { ...p },
    skippedBackends: skipped,
    ...(start.warmStart ? { warmStart: start.warmStart } : {}),
  };
}
