import { seededRandom } from '../../../../../shared/data/random';
import { denseFeatures, initialWeights, warmStartWeights } from '../../../../../shared/ml/models/cnn/weights';

describe('CNN weights', () => {
  it('initialises each block for its inputs, batch norm as the identity', () => {
    const w = initialWeights(3, [4, 6], 5, seededRandom(1));
    expect(w.blocks.map((b) => [b.inputs, b.filters, b.kernel.length])).toEqual([
      [3, 4, 3 * 3 * 3 * 4],
      [4, 6, 3 * 3 * 4 * 6],
    ]);
    // He-uniform: within sqrt(6 / fan_in)
    expect(Math.max(...w.blocks[1].kernel.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 36));
    expect(w.blocks[0].gamma).toEqual(new Float32Array(4).fill(1));
    expect(w.blocks[0].movingVariance).toEqual(new Float32Array(4).fill(1));
    expect(w.dense).toMatchObject({ features: 6, classes: 5 });
    expect(initialWeights(3, [4, 6], 5, seededRandom(1))).toEqual(w);
  });

  it('takes a previous model whose classes are the same set, matching the softmax columns by name', () => {
    const previous = initialWeights(1, [2], 3, seededRandom(2));
    const result = warmStartWeights(previous, ['a', 'b', 'c'], 1, [2], ['c', 'a', 'b']);
    if (!('weights' in result)) throw new Error(result.reason);
    const { dense } = result.weights;
    expect(Array.from(dense.bias)).toEqual([previous.dense.bias[2], previous.dense.bias[0], previous.dense.bias[1]]);
    // [features × classes]: feature 1's weights for c, a, b
    expect(Array.from(dense.kernel.subarray(3, 6))).toEqual([previous.dense.kernel[5], previous.dense.kernel[3], previous.dense.kernel[4]]);
    expect(result.weights.blocks).toEqual(previous.blocks);
    // a copy: training it leaves the previous model alone
    result.weights.blocks[0].kernel[0] += 1;
    expect(result.weights.blocks[0].kernel[0]).not.toBe(previous.blocks[0].kernel[0]);
  });

  it('says why a previous model cannot start this training', () => {
    const previous = initialWeights(3, [2, 4], 2, seededRandom(3));
    expect(warmStartWeights(previous, ['a', 'b'], 1, [2, 4], ['a', 'b'])).toEqual({ reason: 'the previous model reads 3 channels, these images have 1' });
    expect(warmStartWeights(previous, ['a', 'b'], 3, [2, 8], ['a', 'b'])).toEqual({ reason: "the previous model's blocks have [2, 4] filters, this training asks for [2, 8]" });
    expect(warmStartWeights(previous, ['a', 'b'], 3, [2, 4], ['a', 'c'])).toEqual({ reason: 'the class set changed: the previous model has [a, b], this dataset [a, c]' });
    expect(warmStartWeights(previous, ['a', 'b'], 3, [2, 4], ['a', 'b', 'c'])).toEqual({ reason: 'the class set changed: the previous model has [a, b], this dataset [a, b, c]' });
    // a flatten head on 16-pixel images: 4 filters × 4 × 4 positions
    expect(warmStartWeights(previous, ['a', 'b'], 3, [2, 4], ['a', 'b'], denseFeatures([2, 4], 16, 'flatten'))).toEqual({
      reason: "the previous model's dense layer reads 4 features, this training 64 (another head or image size)",
    });
  });

  it('counts the features each head gives the dense layer, the side halved and rounded down per block', () => {
    expect(denseFeatures([8, 16], 28, 'gap')).toBe(16);
    expect(denseFeatures([8, 16], 28, 'flatten')).toBe(16 * 7 * 7);
    expect(denseFeatures([8, 16, 32], 28, 'flatten')).toBe(32 * 3 * 3);
    expect(denseFeatures([8, 16, 32, 4, 4], 28, 'flatten')).toBe(0);
  });
});
