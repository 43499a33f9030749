/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import * as tf from '@tensorflow/tfjs';
import { NetworkStep } from '../../../../../shared/ml/models/network/step';
import { selectBackend } from '../../../../../shared/ml/models/network/tf_backend';
import type { Head } from '../../../../../shared/ml/models/network/train';

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const ROWS = 23;

function batch(head: Head, sizes: number[]) {
  const outputs = sizes[sizes.length - 1];
  const x = values(ROWS * sizes[0], 1);
  const labels = Array.from(values(ROWS, 2), (v) => (head === 'softmax' ? Math.floor((v + 1) * 1.5) : v > 0 ? 1 : 0));
  const target =
    head === 'softmax' ? Float32Array.from({ length: ROWS * outputs }, (_, i) => +(labels[Math.floor(i / outputs)] === i % outputs)) : head === 'sigmoid' ? Float32Array.from(labels) : values(ROWS, 3);
  const weight = head === 'identity' ? new Float32Array(ROWS).fill(1) : Float32Array.from(labels, (y) => 1 + 2 * y);
  const initial = sizes.slice(1).map((units, k) => ({ kernel: values(sizes[k] * units, 10 + k), bias: values(units, 20 + k) }));
  return { x, target, weight, initial };
}

/** The same gradient and Adam steps by TensorFlow.js's autodiff, tf.losses and tf.train.adam. */
function reference(head: Head, sizes: number[], b: ReturnType<typeof batch>, steps: number, learningRate: number) {
  return tf.tidy(() => {
    const vars = b.initial.map((w, k) => ({ W: tf.variable(tf.tensor2d(w.kernel, [sizes[k], sizes[k + 1]])), b: tf.variable(tf.tensor1d(w.bias)) }));
    const list = vars.flatMap((v) => [v.W, v.b]);
    const X = tf.tensor2d(b.x, [ROWS, sizes[0]]);
    const T = tf.tensor2d(b.target, [ROWS, head === 'softmax' ? sizes[sizes.length - 1] : 1]);
    const loss = () => {
      const z = vars.reduce((h, v, k) => {
        const a = tf.add(tf.matMul(h, v.W), v.b) as tf.Tensor2D;
        return k < vars.length - 1 ? tf.relu(a) : a;
      }, X as tf.Tensor2D);
      if (head === 'sigmoid') return tf.losses.sigmoidCrossEntropy(T, z, tf.tensor2d(b.weight, [ROWS, 1])) as tf.Scalar;
      if (head === 'softmax') return tf.losses.softmaxCrossEntropy(T, z, tf.tensor1d(b.weight)) as tf.Scalar;
      return tf.losses.meanSquaredError(T, z) as tf.Scalar;
    };
    const { grads } = tf.variableGrads(loss, list);
    const gradient = tf.concat(list.map((v) => tf.reshape(grads[v.name], [-1]))).dataSync() as Float32Array;
    const value = loss().dataSync()[0];
    const optimizer = tf.train.adam(learningRate);
    for (let i = 0; i < steps; i++) optimizer.minimize(loss, false, list);
    const after = vars.map((v) => ({ kernel: v.W.dataSync() as Float32Array, bias: v.b.dataSync() as Float32Array }));
    optimizer.dispose();
    tf.dispose(list);
    return { gradient, value, after };
  });
}

function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return a.length === b.length ? w : Infinity;
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe.each([
  ['sigmoid', [5, 7, 4, 1]],
  ['softmax', [5, 6, 3]],
  ['identity', [5, 1]],
] as Array<[Head, number[]]>)('a %s network step %j', (head, sizes) => {
  const b = batch(head, sizes);

  it('has the gradient and loss autodiff gives, and takes the steps tf.train.adam takes', () => {
    const before = tf.memory().numTensors;
    const ref = reference(head, sizes, b, 3, 0.01);
    const step = new NetworkStep(tf, sizes, head, b.initial, 0.01);
    try {
      const gradient = step.gradientOf(b.x, b.target, b.weight, ROWS);
      expect(worst(gradient, ref.gradient)).toBeLessThan(1e-5);
      expect(step.takeLossSum()).toBe(0);
      for (let i = 0; i < 3; i++) step.train(b.x, b.target, b.weight, ROWS);
      // the summed weighted loss of the first step is ROWS times the mean tf.losses reports
      const summed = step.takeLossSum();
      expect(summed).toBeGreaterThan(0);
      const after = step.weights();
      after.forEach((w, k) => {
        expect(worst(w.kernel, ref.after[k].kernel)).toBeLessThan(1e-5);
        expect(worst(w.bias, ref.after[k].bias)).toBeLessThan(1e-5);
      });
      const fresh = new NetworkStep(tf, sizes, head, b.initial, 0.01);
      fresh.train(b.x, b.target, b.weight, ROWS);
      expect(fresh.takeLossSum() / ROWS).toBeCloseTo(ref.value, 5);
      fresh.dispose();
    } finally {
      step.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
