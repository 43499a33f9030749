import { applyIsotonic, fitIsotonic } from '../../../../shared/ml/calibration/isotonic';

describe('isotonic calibration', () => {
  it('pools adjacent violators into non-decreasing means, flat beyond the ends', () => {
    // scores 1..6 with labels 0 1 0 1 1 1: the violation at 2-3 pools into a block of mean 0.5
    const map = fitIsotonic([1, 2, 3, 4, 5, 6], [false, true, false, true, true, true], 6);
    expect(map.y).toEqual([...map.y].sort((a, b) => a - b));
    expect(applyIsotonic(map, 1)).toBe(0);
    expect(applyIsotonic(map, 2)).toBe(0.5);
    expect(applyIsotonic(map, 3)).toBe(0.5);
    expect(applyIsotonic(map, 6)).toBe(1);
    expect(applyIsotonic(map, -10)).toBe(0);
    expect(applyIsotonic(map, 99)).toBe(1);
    // between blocks, linear: halfway from 3 (0.5) to 4 (1)
    expect(applyIsotonic(map, 3.5)).toBeCloseTo(0.75, 12);
  });

  it('pools tied scores before anything else', () => {
    const map = fitIsotonic([0.2, 0.2, 0.2, 0.2, 0.9], [true, false, false, false, true], 5);
    expect(applyIsotonic(map, 0.2)).toBe(0.25);
    expect(applyIsotonic(map, 0.9)).toBeCloseTo(1, 12);
  });
});
