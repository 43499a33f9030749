import { seededRandom } from '../../../shared/data/random';
import { stratifiedSplit, timeSplit } from '../../../shared/data/split';

const labelsWith = (n: number, positives: number) => Uint8Array.from({ length: n }, (_, i) => (i % Math.floor(n / positives) === 0 && i / Math.floor(n / positives) < positives ? 1 : 0));

describe('seededRandom', () => {
  it('repeats for a seed and differs between seeds', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed).next);
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    const random = seededRandom(9);
    const values = Array.from({ length: 20_000 }, () => random.normal());
    const mean = values.reduce((a, b) => a + b) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
    expect(Array.from({ length: 1000 }, () => random.int(3)).every((k) => k >= 0 && k < 3)).toBe(true);
  });
});

describe('stratifiedSplit', () => {
  const labels = labelsWith(10_000, 50);

  it('is deterministic for a seed and changes with it', () => {
    expect(stratifiedSplit(labels, undefined, 7)).toEqual(stratifiedSplit(labels, undefined, 7));
    expect(stratifiedSplit(labels, undefined, 7).test).not.toEqual(stratifiedSplit(labels, undefined, 8).test);
  });

  it('partitions every row once, in ascending order, with the asked sizes', () => {
    const { train, validation, test } = stratifiedSplit(labels);
    // rounding is per class, so a split may be a row off
    [train.length - 7000, validation.length - 1500, test.length - 1500].forEach((off) => expect(Math.abs(off)).toBeLessThanOrEqual(1));
    const all = [...train, ...validation, ...test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    for (const part of [train, validation, test]) expect(Array.from(part)).toEqual(Array.from(part).sort((a, b) => a - b));
  });

  it('draws the rows it drew when each class was an array of numbers (a rerun keeps its holdout)', () => {
    // pinned from the implementation before the typed arrays
    const labels = Float32Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 13 === 0 ? 1 : 0));
    const { validation, test } = stratifiedSplit(labels, { train: 0.6, validation: 0.2, test: 0.2 }, 11);
    expect(Array.from(test.slice(0, 12))).toEqual([0, 1, 3, 12, 13, 15, 20, 24, 27, 28, 30, 31]);
    expect(test.length).toBe(400);
    expect(validation.reduce((a, b) => a + b, 0)).toBe(408635);
  });

  it('keeps the positive rate in every split', () => {
    const { train, validation, test } = stratifiedSplit(labels, { train: 0.6, validation: 0.2, test: 0.2 }, 3);
    const positives = (rows: Uint32Array) => rows.reduce((n, i) => n + labels[i], 0);
    expect([positives(train), positives(validation), positives(test)]).toEqual([30, 10, 10]);
  });

  it('gives every split a row of each class when a class is tiny', () => {
    const tiny = labelsWith(200, 3);
    const split = stratifiedSplit(tiny);
    for (const part of Object.values(split)) expect(part.some((i: number) => tiny[i] === 1)).toBe(true);
  });

  it('rejects fractions that do not add up', () => {
    expect(() => stratifiedSplit(labels, { train: 0.7, validation: 0.2, test: 0.2 })).toThrow(/sum to 1/);
    expect(() => stratifiedSplit(labels, { train: 1.2, validation: -0.2, test: 0 })).toThrow(/non-negative/);
  });
});

describe('timeSplit', () => {
  it('puts the oldest rows in train and the latest in test, each split in ascending row order', () => {
    const times = Float64Array.from({ length: 100 }, (_, i) => (i * 37) % 100);
    const { train, validation, test } = timeSplit(times);
    expect([train.length, validation.length, test.length]).toEqual([70, 15, 15]);
    const at = (rows: Uint32Array) => Array.from(rows, (i) => times[i]);
    expect(Math.max(...at(train))).toBeLessThan(Math.min(...at(validation)));
    expect(Math.max(...at(validation))).toBeLessThan(Math.min(...at(test)));
    expect(at(test).sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, k) => 85 + k));
    for (const part of [train, validation, test]) expect(Array.from(part)).toEqual(Array.from(part).sort((a, b) => a - b));
  });

  it('breaks ties by row order, so equal times split the same way every time', () => {
    const times = new Float64Array(20).fill(5);
    expect(Array.from(timeSplit(times).test)).toEqual([17, 18, 19]);
  });
});
