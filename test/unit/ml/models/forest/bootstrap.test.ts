import { seededRandom } from '../../../../../shared/data/random';
import { drawBootstrap } from '../../../../../shared/ml/models/forest/bootstrap';

describe('bootstrap sample', () => {
  it('draws rows with replacement, weighting each by its draws, and returns the rows never drawn', () => {
    const n = 20_000;
    const counts = new Float32Array(n);
    const inBag = new Uint8Array(n);
    const outOfBag = drawBootstrap(counts, inBag, n, seededRandom(4));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
    expect(Math.max(...counts)).toBeGreaterThan(1);
    for (let i = 0; i < n; i++) expect(inBag[i]).toBe(counts[i] > 0 ? 1 : 0);
    expect(Array.from(outOfBag)).toEqual(Array.from({ length: n }, (_, i) => i).filter((i) => counts[i] === 0));
    // (1 − 1/n)^n ≈ e^−1 of the rows are left out
    expect(Math.abs(outOfBag.length / n - Math.exp(-1))).toBeLessThan(0.01);
    // a smaller sample leaves more out, and a second draw differs from the first
    const again = drawBootstrap(counts, inBag, n / 2, seededRandom(5));
    expect(Math.abs(again.length / n - Math.exp(-0.5))).toBeLessThan(0.01);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(n / 2);
  });
});
