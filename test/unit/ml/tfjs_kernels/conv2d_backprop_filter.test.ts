import * as tf from '@tensorflow/tfjs';
import { backend_util } from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from '../../../../shared/ml/tfjs_kernels/conv2d_backprop_filter';
import { convCases, maxAbsDifference, onBothBackends, randomValues, useWasmWithFastKernels } from './on_backends';

beforeAll(useWasmWithFastKernels);

describe('Conv2DBackpropFilter on wasm', () => {
  it('is the registered kernel (tfjs-backend-wasm has none of its own)', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBe(conv2dBackpropFilterConfig);
  });

  it.each(convCases(24).map((c, i) => [i, c] as const))('matches the cpu backend, case %i %j', (i, c) => {
    const filterShape: [number, number, number, number] = [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels];
    const xShape: [number, number, number, number] = [c.batch, c.height, c.width, c.inChannels];
    const info = backend_util.computeConv2DInfo(xShape, filterShape, c.stride, 1, c.pad);
    const dyShape = [c.batch, info.outHeight, info.outWidth, c.outChannels];
    const x = { values: randomValues(xShape.reduce((a, b) => a * b), 10 + i), shape: xShape };
    const dy = { values: randomValues(dyShape.reduce((a, b) => a * b), 100 + i), shape: dyShape };
    const { cpu, wasm } = onBothBackends('Conv2DBackpropFilter', { x, dy }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape });
    expect(wasm.shape).toEqual(filterShape);
    expect(maxAbsDifference(cpu.values, wasm.values)).toBeLessThan(1e-4);
  });

  it('trains a conv2d layer on wasm to the same weights as on cpu', async () => {
    const weightsAfterOneStep = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const w = tf.variable(tf.tensor4d(randomValues(3 * 3 * 2 * 4, 5), [3, 3, 2, 4]));
        const x = tf.tensor4d(randomValues(2 * 8 * 8 * 2, 6), [2, 8, 8, 2]);
        tf.train.sgd(0.1).minimize(() => tf.conv2d(x, w as tf.Tensor4D, 2, 'same').square().mean() as tf.Scalar);
        return Float32Array.from(w.dataSync());
      });
    };
    const cpu = await weightsAfterOneStep('cpu');
    const wasm = await weightsAfterOneStep('wasm');
    expect(maxAbsDifference(cpu, wasm)).toBeLessThan(1e-5);
    expect(maxAbsDifference(cpu, randomValues(3 * 3 * 2 * 4, 5))).toBeGreaterThan(1e-3);
  });
});
