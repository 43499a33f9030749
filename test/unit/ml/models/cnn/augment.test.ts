import { seededRandom } from '../../../../../shared/data/random';
import { augmentBatch, randomTransform, transformImage, type Transform } from '../../../../../shared/ml/models/cnn/augment';

// a 3×3 image of 2 channels: value = row·10 + column, and its negative in the second channel
const SIDE = 3;
const IMAGE = Float32Array.from({ length: SIDE * SIDE * 2 }, (_, i) => {
  const pixel = Math.floor(i / 2);
  const value = Math.floor(pixel / SIDE) * 10 + (pixel % SIDE);
  return (i % 2 === 0 ? value : -value) / 100;
});
const NONE: Transform = { flipX: false, flipY: false, dx: 0, dy: 0, brightness: 0 };

/** The first channel as rows of row·10 + column. */
function grid(t: Transform): number[][] {
  const out = new Float32Array(IMAGE.length);
  transformImage(IMAGE, out, SIDE, 2, t);
  // the second channel moves with the first
  for (let p = 0; p < SIDE * SIDE; p++) expect(out[2 * p + 1]).toBeCloseTo(t.brightness === 0 ? -out[2 * p] : out[2 * p + 1], 6);
  return Array.from({ length: SIDE }, (_, r) => Array.from({ length: SIDE }, (_, c) => Math.round(out[(r * SIDE + c) * 2] * 100)));
}

describe('image augmentation', () => {
  it('flips, shifts repeating the edge, and changes brightness within [0, 1]', () => {
    expect(grid(NONE)).toEqual([[0, 1, 2], [10, 11, 12], [20, 21, 22]]);
    expect(grid({ ...NONE, flipX: true })).toEqual([[2, 1, 0], [12, 11, 10], [22, 21, 20]]);
    expect(grid({ ...NONE, flipY: true })).toEqual([[20, 21, 22], [10, 11, 12], [0, 1, 2]]);
    // content moves one right and one up; the uncovered left column and bottom row repeat the edge
    expect(grid({ ...NONE, dx: 1, dy: -1 })).toEqual([[10, 10, 11], [20, 20, 21], [20, 20, 21]]);
    expect(grid({ ...NONE, brightness: 0.05 })).toEqual([[5, 6, 7], [15, 16, 17], [25, 26, 27]]);
    const out = new Float32Array(IMAGE.length);
    transformImage(Float32Array.from(IMAGE, Math.abs), out, SIDE, 2, { ...NONE, brightness: 0.9 });
    expect(Math.max(...out)).toBe(1);
    transformImage(IMAGE, out, SIDE, 2, { ...NONE, brightness: -0.5 });
    expect(Math.min(...out)).toBe(0);
  });

  it('draws transforms within the parameters, flipping only as asked', () => {
    const random = seededRandom(1);
    const drawn = Array.from({ length: 400 }, () => randomTransform({ flip: 'horizontal', max_shift: 0.1, brightness: 0.2 }, 32, random));
    // 0.1 of 32 pixels: up to 3 either way, every offset drawn
    expect(new Set(drawn.map((t) => t.dx))).toEqual(new Set([-3, -2, -1, 0, 1, 2, 3]));
    expect(new Set(drawn.map((t) => t.dy))).toEqual(new Set([-3, -2, -1, 0, 1, 2, 3]));
    expect(drawn.every((t) => Math.abs(t.brightness) <= 0.2 && !t.flipY)).toBe(true);
    const flipped = drawn.filter((t) => t.flipX).length;
    expect(flipped).toBeGreaterThan(150);
    expect(flipped).toBeLessThan(250);
    expect(randomTransform({ flip: 'none', max_shift: 0, brightness: 0 }, 32, random)).toEqual(NONE);
    expect(randomTransform({ flip: 'vertical', max_shift: 0, brightness: 0 }, 32, seededRandom(3)).flipX).toBe(false);
  });

  it('augments each image of a batch its own way, the same way for a seed', () => {
    const batch = new Float32Array(4 * IMAGE.length);
    for (let i = 0; i < 4; i++) batch.set(IMAGE, i * IMAGE.length);
    const options = { flip: 'both', max_shift: 0.34, brightness: 0.1 } as const;
    const once = batch.slice();
    augmentBatch(once, 3, SIDE, 2, options, seededRandom(5));
    const twice = batch.slice();
    augmentBatch(twice, 3, SIDE, 2, options, seededRandom(5));
    expect(twice).toEqual(once);
    const images = [0, 1, 2].map((i) => once.subarray(i * IMAGE.length, (i + 1) * IMAGE.length).join());
    expect(new Set(images).size).toBe(3);
    // only the first m images are touched
    expect(once.subarray(3 * IMAGE.length)).toEqual(IMAGE);
  });
});
