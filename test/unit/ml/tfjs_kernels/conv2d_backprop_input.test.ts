import * as tf from '@tensorflow/tfjs';
import { backend_util } from '@tensorflow/tfjs';
import { conv2dBackpropInputConfig } from '../../../../shared/ml/tfjs_kernels/conv2d_backprop_input';
import { convCases, maxAbsDifference, onBothBackends, randomValues, useWasmWithFastKernels } from './on_backends';

beforeAll(useWasmWithFastKernels);

describe('Conv2DBackpropInput on wasm', () => {
  it('is the registered kernel', () => {
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(conv2dBackpropInputConfig);
  });

  it.each(convCases(24).map((c, i) => [i, c] as const))('matches the cpu backend, case %i %j', (i, c) => {
    const filterShape: [number, number, number, number] = [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels];
    const inputShape: [number, number, number, number] = [c.batch, c.height, c.width, c.inChannels];
    const info = backend_util.computeConv2DInfo(inputShape, filterShape, c.stride, 1, c.pad);
    const dyShape = [c.batch, info.outHeight, info.outWidth, c.outChannels];
    const dy = { values: randomValues(dyShape.reduce((a, b) => a * b), 200 + i), shape: dyShape };
    const filter = { values: randomValues(filterShape.reduce((a, b) => a * b), 300 + i), shape: filterShape };
    const { cpu, wasm } = onBothBackends('Conv2DBackpropInput', { dy, filter }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape });
    expect(wasm.shape).toEqual(inputShape);
    expect(maxAbsDifference(cpu.values, wasm.values)).toBeLessThan(1e-4);
  });
});
