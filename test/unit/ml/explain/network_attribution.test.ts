import { seededRandom } from '../../../../shared/data/random';
import { NetworkAttribution, SHAPLEY_PERMUTATIONS } from '../../../../shared/ml/explain/network_attribution';

/** A small Relu network on 4 columns, of which the last two are one categorical's one-hot columns. */
function network(seed: number) {
  const random = seededRandom(seed);
  const weights = (n: number) => Array.from({ length: n }, () => random.normal());
  return {
    kind: 'network' as const,
    link: 'logistic' as const,
    log_scale: [0, 0, 0, 0],
    mean: [0.5, 1, 0.3, 0.3],
    std: [2, 1.5, 0.5, 0.5],
    layers: [
      { kernel: weights(4 * 6), bias: weights(6), inputs: 4, units: 6 },
      { kernel: weights(6), bias: weights(1), inputs: 6, units: 1 },
    ],
  };
}

/** The Shapley values of the same game — a feature's columns at the row's values, or at their means (z = 0) — over every subset. */
function exactShapley(attribution: NetworkAttribution, x: number[], mean: number[], groups: number[], features: number): number[] {
  const value = (mask: number) => {
    const out = new Float64Array(1);
    attribution.raw(x.map((v, j) => (mask & (1 << groups[j]) ? v : mean[j])), 0, out);
    return out[0];
  };
  const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
  const phi = new Array<number>(features).fill(0);
  for (let f = 0; f < features; f++) {
    for (let mask = 0; mask < 1 << features; mask++) {
      if (mask & (1 << f)) continue;
      const size = [...Array(features).keys()].filter((k) => mask & (1 << k)).length;
      phi[f] += ((factorial(size) * factorial(features - size - 1)) / factorial(features)) * (value(mask | (1 << f)) - value(mask));
    }
  }
  return phi;
}

describe('NetworkAttribution', () => {
  it('estimates the Shapley values of a network with hidden layers closely, and adds up to the raw score exactly', () => {
    const groups = Int32Array.of(0, 1, 2, 2);
    const net = network(1);
    const attribution = new NetworkAttribution(net, groups, 3);
    expect(attribution.approximate).toBe(true);
    const random = seededRandom(4);
    let worst = 0;
    let scale = 0;
    for (let row = 0; row < 20; row++) {
      const category = random.int(2);
      const x = [random.normal() * 2, random.normal() * 1.5 + 1, category === 0 ? 1 : 0, category === 1 ? 1 : 0];
      const phi = new Float64Array(3);
      const base = attribution.explain(x, 0, 0, phi);
      const raw = new Float64Array(1);
      attribution.raw(x, 0, raw);
      expect(Math.abs(base + phi.reduce((a, b) => a + b, 0) - raw[0])).toBeLessThan(1e-9);
      exactShapley(attribution, x, net.mean, Array.from(groups), 3).forEach((v, f) => {
        worst = Math.max(worst, Math.abs(phi[f] - v));
        scale = Math.max(scale, Math.abs(v));
      });
    }
    // 3 features have 6 orders; 32 antithetic draws weigh them nearly evenly
    expect(SHAPLEY_PERMUTATIONS).toBe(32);
    expect(worst).toBeLessThan(0.1 * scale);
  });

  it('is exact without hidden layers: w·z per feature, the bias as base', () => {
    const net = { ...network(2), layers: [{ kernel: [0.5, -1, 2, 3], bias: [0.25], inputs: 4, units: 1 }] };
    const attribution = new NetworkAttribution(net, Int32Array.of(0, 1, 2, 2), 3);
    expect(attribution.approximate).toBe(false);
    const phi = new Float64Array(3);
    expect(attribution.explain([2.5, 0, 1, 0], 0, 0, phi)).toBe(0.25);
    // z = (x − mean)/std per column, the one-hot columns summed into one feature
    expect(phi[0]).toBeCloseTo(0.5 * ((2.5 - 0.5) / 2), 6);
    expect(phi[1]).toBeCloseTo(-1 * ((0 - 1) / 1.5), 6);
    expect(phi[2]).toBeCloseTo(2 * ((1 - 0.3) / 0.5) + 3 * ((0 - 0.3) / 0.5), 6);
  });
});
