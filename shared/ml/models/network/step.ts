import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from './tf_backend';
import type { Head, Weights } from './train';

/** tf.train.adam's defaults (its epsilon is the backend's, 1e-7 in float32). */
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;

/**
 * One optimisation step of a dense network on a batch: forward, the gradient written out by hand, and
 * Adam, as a few dozen whole-tensor operations. On the small networks mloop trains ([11, 32, 16, 1]) a
 * step costs what its operations cost to dispatch, not their arithmetic: tf.train.adam's minimize
 * recorded a tape and ran about 190 kernels a step (Adam alone 15 a variable); this runs about 60,
 * because every parameter lives in one flat vector with one Adam update, the head's gradient is
 * (activation − target) · weight instead of the loss's derivative taken op by op, and nothing is read
 * back: the training loss is summed on the device and read once an epoch (takeLossSum).
 */
export class NetworkStep {
  private readonly theta: tfjs.Variable;
  private readonly m: tfjs.Variable;
  private readonly v: tfjs.Variable;
  private readonly lossSum: tfjs.Variable;
  private readonly offsets: Array<{ kernel: number; bias: number; inputs: number; units: number }> = [];
  private readonly targetWidth: number;
  private steps = 0;

  constructor(
    private readonly tf: Tf,
    private readonly sizes: number[],
    private readonly head: Head,
    initial: Weights,
    private readonly learningRate: number,
  ) {
    let size = 0;
    for (let k = 0; k + 1 < sizes.length; k++) {
      const kernel = size;
      size += sizes[k] * sizes[k + 1];
      this.offsets.push({ kernel, bias: size, inputs: sizes[k], units: sizes[k + 1] });
      size += sizes[k + 1];
    }
    const flat = new Float32Array(size);
    initial.forEach((w, k) => {
      flat.set(w.kernel, this.offsets[k].kernel);
      flat.set(w.bias, this.offsets[k].bias);
    });
    this.targetWidth = head === 'softmax' ? sizes[sizes.length - 1] : 1;
    // tidy frees the initial values; variables outlive it
    [this.theta, this.m, this.v, this.lossSum] = tf.tidy(() => [tf.tensor1d(flat), tf.zeros([size]), tf.zeros([size]), tf.scalar(0)].map((t) => tf.variable(t)));
  }

  /** A step on m rows: features [m, inputs], targets [m, outputs or 1], row weights [m]. */
  train(x: Float32Array, target: Float32Array, weight: Float32Array, m: number): void {
    const tf = this.tf;
    this.steps++;
    const t = this.steps;
    const rate = (this.learningRate * Math.sqrt(1 - BETA2 ** t)) / (1 - BETA1 ** t);
    // tf.train.adam adds epsilon to the bias-corrected root; folded into `rate` it scales with it
    const epsilon = EPSILON * Math.sqrt(1 - BETA2 ** t);
    tf.tidy(() => {
      const g = this.gradient(x, target, weight, m);
      const m1 = tf.add(tf.mul(this.m, BETA1), tf.mul(g, 1 - BETA1));
      const v1 = tf.add(tf.mul(this.v, BETA2), tf.mul(tf.square(g), 1 - BETA2));
      this.m.assign(m1);
      this.v.assign(v1);
      this.theta.assign(tf.sub(this.theta, tf.mul(tf.div(m1, tf.add(tf.sqrt(v1), epsilon)), rate)));
    });
  }

  /** The gradient of the batch's mean weighted loss, read back: for checking it against autodiff. */
  gradientOf(x: Float32Array, target: Float32Array, weight: Float32Array, m: number): Float32Array {
    const tf = this.tf;
    const sumBefore = this.lossSum.dataSync()[0];
    const g = tf.tidy(() => this.gradient(x, target, weight, m));
    const values = g.dataSync() as Float32Array;
    g.dispose();
    tf.tidy(() => this.lossSum.assign(tf.scalar(sumBefore)));
    return values;
  }

  /** Forward, then backward by hand: the flat gradient, laid out as the parameters are. Adds the batch's loss to lossSum. */
  private gradient(x: Float32Array, target: Float32Array, weight: Float32Array, m: number): tfjs.Tensor1D {
    const tf = this.tf;
    const X = tf.tensor2d(x, [m, this.sizes[0]]);
    const T = tf.tensor2d(target, [m, this.targetWidth]);
    const W = tf.tensor2d(weight, [m, 1]);
    const layers = this.offsets.map((o) => ({
      W: tf.reshape(tf.slice(this.theta, o.kernel, o.inputs * o.units), [o.inputs, o.units]) as tfjs.Tensor2D,
      b: tf.slice(this.theta, o.bias, o.units),
    }));
    // each layer's input, kept for its gradient; the Relu's output tells where it let the gradient through
    const inputs: tfjs.Tensor2D[] = [X];
    let z = X;
    layers.forEach(({ W: kernel, b }, k) => {
      z = tf.add(tf.matMul(inputs[k], kernel), b);
      if (k < layers.length - 1) inputs.push(tf.relu(z));
    });
    const { activation, rowLoss, scale } = this.headOf(z, T);
    this.lossSum.assign(tf.add(this.lossSum, tf.sum(tf.mul(rowLoss, W))));
    // d(mean of weighted row losses)/dz, for all three heads
    let dz = tf.mul(tf.sub(activation, T), tf.mul(W, scale / m)) as tfjs.Tensor2D;
    const grads: tfjs.Tensor[] = [];
    for (let k = layers.length - 1; k >= 0; k--) {
      grads[2 * k] = tf.reshape(tf.matMul(inputs[k], dz, true, false), [-1]);
      grads[2 * k + 1] = tf.sum(dz, 0);
      if (k > 0) dz = tf.mul(tf.matMul(dz, layers[k].W, false, true), tf.step(inputs[k]));
    }
    return tf.concat(grads) as tfjs.Tensor1D;
  }

  /** The head's output, each row's loss, and the factor of (output − target) in the loss's gradient. */
  private headOf(z: tfjs.Tensor2D, T: tfjs.Tensor2D): { activation: tfjs.Tensor; rowLoss: tfjs.Tensor; scale: number } {
    const tf = this.tf;
    if (this.head === 'sigmoid') {
      // log(1 + e^z) − z·y; softplus is one kernel, finite for any z
      const rowLoss = tf.sub(tf.softplus(z), tf.mul(z, T));
      return { activation: tf.sigmoid(z), rowLoss, scale: 1 };
    }
    if (this.head === 'softmax') {
      const rowLoss = tf.sub(tf.logSumExp(z, 1, true), tf.sum(tf.mul(z, T), 1, true));
      return { activation: tf.softmax(z), rowLoss, scale: 1 };
    }
    return { activation: z, rowLoss: tf.square(tf.sub(z, T)), scale: 2 };
  }

  /** The weighted loss summed over the rows trained since the last call; the one read back. */
  takeLossSum(): number {
    const sum = this.lossSum.dataSync()[0];
    this.tf.tidy(() => this.lossSum.assign(this.tf.scalar(0)));
    return sum;
  }

  weights(): Weights {
    const flat = this.theta.dataSync() as Float32Array;
    return this.offsets.map((o) => ({ kernel: flat.slice(o.kernel, o.bias), bias: flat.slice(o.bias, o.bias + o.units) }));
  }

  dispose(): void {
    this.tf.dispose([this.theta, this.m, this.v, this.lossSum]);
  }
}
