import { seededRandom } from '../../../../../shared/data/random';
import { histogramLayout } from '../../../../../shared/ml/models/gbdt/histogram';
import { noSplit } from '../../../../../shared/ml/models/gbdt/split';
import type { BinValues } from '../../../../../shared/ml/models/forest/bin_values';
import { binOfThreshold, forestSplitter } from '../../../../../shared/ml/models/forest/split_choice';

/** Every bin of every column holding the one value `value(column, bin)`, as bins of few distinct values do. */
function singleValued(layout: ReturnType<typeof histogramLayout>, value: (column: number, bin: number) => number): BinValues {
  const lowest = new Float64Array(layout.totalBins);
  layout.offsets.forEach((at, f) => {
    for (let b = 0; b < layout.numBins[f]; b++) lowest[at + b] = value(f, b);
  });
  return { lowest, highest: lowest.slice() };
}

/**
 * A leaf of 100 rows over three numeric columns of 10 bins: column 0 separates the target (g = −1 in
 * bins 0–4, +1 above), column 1 carries a weaker signal, column 2 is constant in the leaf (all rows in
 * bin 3). Rows sit in bins 2–7 of columns 0 and 1 only, so a split must fall between those.
 */
function leaf() {
  const layout = histogramLayout([10, 10, 10]);
  const hist = new Float64Array(layout.totalBins * 3);
  const add = (column: number, bin: number, g: number) => {
    const at = (layout.offsets[column] + bin) * 3;
    hist[at] += g;
    hist[at + 1] += 1;
    hist[at + 2] += 1;
  };
  for (let r = 0; r < 100; r++) {
    const g = r < 50 ? -1 : 1;
    add(0, 2 + Math.floor(r / 17), g);
    add(1, 2 + ((r * 7) % 6), r % 3 === 0 ? -g : g);
    add(2, 3, g);
  }
  const kinds = { oneHot: new Uint8Array(3), missingBin: Int32Array.of(-1, -1, -1) };
  const totals = { G: 0, H: 100, count: 100 };
  const rules = { lambdaL2: 0, minDataInLeaf: 1, minSumHessianInLeaf: 0, minGainToSplit: 0 };
  return { layout, hist, kinds, totals, rules, usable: Int32Array.of(0, 1, 2) };
}

describe('forest split choice', () => {
  it('takes the best threshold of every feature when it looks at all of them, as gbdt would', () => {
    const { layout, hist, kinds, totals, rules, usable } = leaf();
    const best = noSplit();
    forestSplitter('best', 3, seededRandom(1))(hist, layout, kinds, usable, totals, rules, best);
    expect(best.column).toBe(0);
    // bins 0–4 hold rows 0–84 at 17 a bin; 50 negatives then positives: the cut after bin 4 (rows 0–50) is best
    expect(best.gain).toBeGreaterThan(0);
  });

  it('draws the features of each split, skipping a column constant in the leaf without counting it', () => {
    const { layout, hist, kinds, totals, rules, usable } = leaf();
    const choose = forestSplitter('best', 1, seededRandom(2));
    const chosen = [0, 0, 0];
    for (let k = 0; k < 400; k++) {
      const best = noSplit();
      choose(hist, layout, kinds, usable, totals, rules, best);
      chosen[best.column]++;
    }
    // one feature a split, of the two that can split: each about half the time, never the constant one
    expect(chosen[2]).toBe(0);
    expect(chosen[0] + chosen[1]).toBe(400);
    expect(Math.min(chosen[0], chosen[1])).toBeGreaterThan(150);
  });

  it('picks a random threshold between the lowest and highest bins holding rows, for extra trees', () => {
    const { layout, hist, kinds, totals, rules } = leaf();
    const choose = forestSplitter('random', 1, seededRandom(3), singleValued(layout, (_, b) => b));
    const bins = new Set<number>();
    for (let k = 0; k < 300; k++) {
      const best = noSplit();
      choose(hist, layout, kinds, Int32Array.of(0), totals, rules, best);
      expect(best.column).toBe(0);
      bins.add(best.bin);
      expect(best.leftCount).toBeGreaterThan(0);
      expect(best.leftCount).toBeLessThan(100);
    }
    // rows in bins 2–7: a cut after any of 2..6, each drawn
    expect([...bins].sort()).toEqual([2, 3, 4, 5, 6]);
  });

  it('draws a one-hot group as one feature per category, as scikit-learn sees its encoded columns', () => {
    // column 0: numeric, bins 0–9; column 1: a one-hot group of 9 categories (bins 1–9, bin 0 none)
    const layout = histogramLayout([10, 10]);
    const hist = new Float64Array(layout.totalBins * 3);
    const add = (column: number, bin: number, g: number) => {
      const at = (layout.offsets[column] + bin) * 3;
      hist[at] += g;
      hist[at + 1] += 1;
      hist[at + 2] += 1;
    };
    for (let r = 0; r < 90; r++) {
      const g = r % 2 === 0 ? -1 : 1;
      add(0, r % 10, g);
      add(1, 1 + (r % 9), r % 9 === 0 ? -1 : g);
    }
    const G = hist.filter((_, i) => i % 3 === 0 && i < 30).reduce((a, b) => a + b, 0);
    const kinds = { oneHot: Uint8Array.of(0, 1), missingBin: Int32Array.of(-1, -1) };
    const totals = { G, H: 90, count: 90 };
    const rules = { lambdaL2: 0, minDataInLeaf: 1, minSumHessianInLeaf: 0, minGainToSplit: -Infinity };
    for (const kind of ['best', 'random'] as const) {
      const choose = forestSplitter(kind, 1, seededRandom(4), singleValued(layout, (_, b) => b));
      const categories = new Set<number>();
      let numeric = 0;
      const draws = 2000;
      for (let k = 0; k < draws; k++) {
        const best = noSplit();
        choose(hist, layout, kinds, Int32Array.of(0, 1), totals, rules, best);
        if (best.column === 0) numeric++;
        else {
          expect(best.column).toBe(1);
          categories.add(best.bin);
          // that category against the rest: 10 rows on one side
          expect(best.leftCount).toBe(80);
        }
      }
      // ten encoded columns, one drawn a split: the numeric one a tenth of the time (as a group, half)
      expect(numeric / draws).toBeGreaterThan(0.07);
      expect(numeric / draws).toBeLessThan(0.13);
      expect(categories.size).toBe(9);
    }
  });

  it('draws an extra tree\'s threshold uniformly over the leaf\'s values, not its bins, and splits there', () => {
    const { layout, hist, kinds, totals, rules } = leaf();
    // column 0's rows lie in bins 2–7, whose values are 2, 3, 4, 5, 6 and 100: a skewed column
    const values = singleValued(layout, (_, b) => (b >= 7 ? 100 * (b - 6) : b));
    const choose = forestSplitter('random', 1, seededRandom(5), values);
    const cuts = new Map<number, number>();
    const draws = 2000;
    for (let k = 0; k < draws; k++) {
      const best = noSplit();
      choose(hist, layout, kinds, Int32Array.of(0), totals, rules, best);
      cuts.set(best.bin, (cuts.get(best.bin) ?? 0) + 1);
      // the drawn value itself, strictly between the leaf's values on either side of the cut
      expect(best.threshold).toBeGreaterThanOrEqual(values.highest[best.bin]);
      expect(best.threshold).toBeLessThan(values.lowest[best.bin + 1]);
      expect(best.threshold).toBeGreaterThanOrEqual(2);
      expect(best.threshold).toBeLessThan(100);
    }
    // uniform on [2, 100]: the gap 6..100 takes 94/98 of the draws (over bins it would take a fifth)
    expect(cuts.get(6)! / draws).toBeGreaterThan(0.93);
    expect(cuts.get(6)! / draws).toBeLessThan(0.99);
    const thresholds = new Set<number>();
    for (let k = 0; k < 50; k++) {
      const best = noSplit();
      choose(hist, layout, kinds, Int32Array.of(0), totals, rules, best);
      thresholds.add(best.threshold);
    }
    // a fresh value each draw, not one of a few bin edges
    expect(thresholds.size).toBe(50);
  });

  it('falls back to the bin\'s upper bound when the drawn value falls inside a bin of several values', () => {
    // bins 0–3 of one column: values {1}, {2..4}, {5}, {6}
    const values = { lowest: Float64Array.of(1, 2, 5, 6), highest: Float64Array.of(1, 4, 5, 6) };
    expect(binOfThreshold(values, 0, 0, 3, 1.5)).toEqual({ bin: 0, threshold: 1.5 });
    expect(binOfThreshold(values, 0, 0, 3, 4.5)).toEqual({ bin: 1, threshold: 4.5 });
    // inside bin 1's range: the bin goes to the side of u holding more of its range, at the bin's bound
    expect(binOfThreshold(values, 0, 0, 3, 2.5)).toEqual({ bin: 0, threshold: NaN });
    expect(binOfThreshold(values, 0, 0, 3, 3.5)).toEqual({ bin: 1, threshold: NaN });
    // the threshold is a float32, as the trees compare float32 features
    expect(binOfThreshold(values, 0, 0, 3, 5.1).threshold).toBe(Math.fround(5.1));
    // empty bins between the leaf's values are stepped over
    const gappy = { lowest: Float64Array.of(1, Infinity, 5), highest: Float64Array.of(1, -Infinity, 5) };
    expect(binOfThreshold(gappy, 0, 0, 2, 3)).toEqual({ bin: 0, threshold: 3 });
  });
});
