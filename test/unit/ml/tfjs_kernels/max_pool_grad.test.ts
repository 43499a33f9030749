import * as tf from '@tensorflow/tfjs';
import { maxPoolGradConfig } from '../../../../shared/ml/tfjs_kernels/max_pool_grad';
import { maxAbsDifference, onBothBackends, randomValues, useWasmWithFastKernels } from './on_backends';

beforeAll(useWasmWithFastKernels);

const CASES = [
  { shape: [2, 8, 8, 3], filterSize: 2, strides: 2, pad: 'valid' },
  { shape: [1, 7, 9, 2], filterSize: 2, strides: 2, pad: 'same' },
  { shape: [3, 6, 6, 4], filterSize: 3, strides: 1, pad: 'same' },
  { shape: [2, 9, 7, 1], filterSize: [3, 2], strides: [2, 1], pad: 'valid' },
  { shape: [1, 5, 5, 5], filterSize: 3, strides: 2, pad: 'same' },
] as const;

describe('MaxPoolGrad on wasm', () => {
  it('is the registered kernel', () => {
    expect(tf.getKernel('MaxPoolGrad', 'wasm')).toBe(maxPoolGradConfig);
  });

  it.each(CASES.map((c, i) => [i, c] as const))('matches the cpu backend, ties after ReLU included, case %i %j', (i, c) => {
    const size = c.shape.reduce((a: number, b: number) => a * b, 1);
    // Half the inputs are ReLU's zeros: a window of ties sends its gradient to the first one, as cpu does.
    const input = { values: randomValues(size, 400 + i).map((v) => Math.max(0, v)), shape: [...c.shape] };
    const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
    const output = tf.tidy(() => tf.maxPool(tf.tensor4d(input.values, c.shape as never), c.filterSize as never, c.strides as never, c.pad));
    const dy = { values: randomValues(output.size, 500 + i), shape: output.shape };
    output.dispose();
    const { cpu, wasm } = onBothBackends('MaxPoolGrad', { dy, input }, attrs, (t) => ({
      output: tf.maxPool(t.input as tf.Tensor4D, c.filterSize as never, c.strides as never, c.pad),
    }));
    expect(wasm.shape).toEqual([...c.shape]);
    expect(maxAbsDifference(cpu.values, wasm.values)).toBeLessThan(1e-6);
  });
});
