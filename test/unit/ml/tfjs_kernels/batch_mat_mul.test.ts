import * as tf from '@tensorflow/tfjs';
import { batchMatMulConfig } from '../../../../shared/ml/tfjs_kernels/batch_mat_mul';
import { maxAbsDifference, onBothBackends, randomValues, useWasmWithFastKernels } from './on_backends';

beforeAll(useWasmWithFastKernels);

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

// [a's shape, b's shape, transposeA, transposeB]
const CASES: Array<[number[], number[], boolean, boolean]> = [
  // a dense layer's gradients: dW = Xᵀ · dZ, dX = dZ · Wᵀ
  [[37, 11], [37, 32], true, false],
  [[37, 32], [16, 32], false, true],
  [[5, 7], [3, 5], true, true],
  [[1, 6, 4], [1, 6, 3], true, false],
  [[1, 4, 6], [2, 6], false, true],
  // handed to the wasm backend's own kernel: no transpose, or a batch of matrices
  [[9, 4], [4, 3], false, false],
  [[2, 5, 4], [2, 5, 3], true, false],
];

describe('BatchMatMul on wasm', () => {
  it('is the registered kernel', () => {
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(batchMatMulConfig);
  });

  it.each(CASES)('matches the cpu backend: %j × %j, transposeA %s, transposeB %s', (aShape, bShape, transposeA, transposeB) => {
    const a = { values: randomValues(size(aShape), size(aShape) + 1), shape: aShape };
    const b = { values: randomValues(size(bShape), size(bShape) + 2), shape: bShape };
    const { cpu, wasm } = onBothBackends('BatchMatMul', { a, b }, { transposeA, transposeB });
    expect(wasm.shape).toEqual(cpu.shape);
    expect(maxAbsDifference(cpu.values, wasm.values)).toBeLessThan(1e-5);
  });

  it('frees the transposed copies', () => {
    const a = tf.randomNormal([20, 6]);
    const b = tf.randomNormal([20, 3]);
    tf.matMul(a, b, true, false).dispose();
    const before = tf.engine().backend.numDataIds();
    for (let i = 0; i < 5; i++) tf.matMul(a, b, true, false).dispose();
    expect(tf.engine().backend.numDataIds()).toBe(before);
    tf.dispose([a, b]);
  });
});
