import { foldOf, foldRows } from '../../../../../shared/ml/models/auto/folds';

describe('cross-validation folds', () => {
  it('deals every row to one fold, each class in its share in every fold, the same for a seed', () => {
    // 100 rows, 10 % positive
    const y = Float32Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const fold = foldOf(y, 100, 5, true, 3);
    for (let f = 0; f < 5; f++) {
      const rows = [...fold.keys()].filter((i) => fold[i] === f);
      expect(rows).toHaveLength(20);
      expect(rows.filter((i) => y[i] === 1)).toHaveLength(2);
    }
    expect(foldOf(y, 100, 5, true, 3)).toEqual(fold);
    expect(foldOf(y, 100, 5, true, 4)).not.toEqual(fold);
    // shuffled, not dealt in row order
    expect(Array.from(fold.subarray(0, 10))).not.toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
  });

  it('parts a split into a fold and the rest, rows whole', () => {
    const split = { X: Float32Array.from({ length: 12 }, (_, i) => i), y: Float32Array.of(0, 1, 2, 3, 4, 5), n: 6 };
    const fold = Int32Array.of(0, 1, 0, 1, 0, 1);
    expect(foldRows(split, fold, 1, true)).toEqual({ X: Float32Array.of(2, 3, 6, 7, 10, 11), y: Float32Array.of(1, 3, 5), n: 3 });
    expect(foldRows(split, fold, 1, false)).toEqual({ X: Float32Array.of(0, 1, 4, 5, 8, 9), y: Float32Array.of(0, 2, 4), n: 3 });
  });
});
