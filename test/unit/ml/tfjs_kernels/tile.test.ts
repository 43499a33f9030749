import * as tf from '@tensorflow/tfjs';
import { tileConfig } from '../../../../shared/ml/tfjs_kernels/tile';
import { maxAbsDifference, onBothBackends, randomValues, useWasmWithFastKernels } from './on_backends';

beforeAll(useWasmWithFastKernels);

const CASES: Array<[number[], number[]]> = [
  [[1, 1, 1, 4], [3, 5, 2, 1]],
  [[2, 3], [2, 2]],
  [[5], [3]],
  [[2, 1, 3], [1, 4, 1]],
  [[3, 2, 2, 2], [2, 1, 3, 2]],
  [[2, 2], [1, 1]],
];

describe('Tile on wasm', () => {
  it('is the registered kernel', () => {
    expect(tf.getKernel('Tile', 'wasm')).toBe(tileConfig);
  });

  it.each(CASES)('matches the cpu backend: %j tiled %j', (shape, reps) => {
    const x = { values: randomValues(shape.reduce((a, b) => a * b, 1), shape.length + reps[0]), shape };
    const { cpu, wasm } = onBothBackends('Tile', { x }, { reps });
    expect(wasm.shape).toEqual(shape.map((s, i) => s * reps[i]));
    expect(maxAbsDifference(cpu.values, wasm.values)).toBe(0);
  });

  it('tiles int32 tensors too', async () => {
    const out = tf.tidy(() => tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [2, 1]));
    expect(out.dtype).toBe('int32');
    expect(Array.from(await out.data())).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    out.dispose();
  });
});
