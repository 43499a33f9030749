import * as tf from '@tensorflow/tfjs';
import { meanConfig, sumConfig } from '../../../../shared/ml/tfjs_kernels/reduce_leading_axes';
import { maxAbsDifference, onBothBackends, randomValues, useWasmWithFastKernels } from './on_backends';

beforeAll(useWasmWithFastKernels);

const CASES: Array<[number[], number | number[], boolean]> = [
  [[4, 5, 6, 3], [0, 1, 2], false],
  [[4, 5, 6, 3], [0, 1, 2], true],
  [[7, 3], 0, false],
  [[2, 3, 4], [1, 0], true],
  // Not leading axes: the wasm backend's own kernel answers.
  [[4, 5, 6, 3], [1, 2], false],
  [[4, 5, 3], -1, true],
  [[3, 4], [0, 1], false],
];

describe.each([
  ['Sum', sumConfig],
  ['Mean', meanConfig],
] as const)('%s on wasm', (name, config) => {
  it('is the registered kernel', () => {
    expect(tf.getKernel(name, 'wasm')).toBe(config);
  });

  it.each(CASES)('matches the cpu backend: %j over %j, keepDims %s', (shape, axis, keepDims) => {
    const x = { values: randomValues(shape.reduce((a, b) => a * b, 1), shape.length * 3 + (keepDims ? 1 : 0)), shape };
    const { cpu, wasm } = onBothBackends(name, { x }, { axis, keepDims });
    expect(wasm.shape).toEqual(cpu.shape);
    expect(maxAbsDifference(cpu.values, wasm.values)).toBeLessThan(1e-5);
  });

  it('leaves int32 tensors to the wasm backend', async () => {
    const out = tf.tidy(() => tf.engine().runKernel(name, { x: tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32') }, { axis: [0], keepDims: false }) as tf.Tensor);
    expect(Array.from(await out.data())).toEqual(name === 'Sum' ? [4, 6] : [2, 3]);
    out.dispose();
  });
});
