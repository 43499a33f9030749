import { seededRandom, shuffleInPlace } from '../../data/random';
import type { ExplainerModel } from './explainer_file';

type NetworkModel = Extract<ExplainerModel, { kind: 'network' }>;

/** Permutations per row (each drawn with its reverse), for a network with hidden layers. */
export const SHAPLEY_PERMUTATIONS = 32;

/**
 * A dense network's attributions, on its standardised inputs z (the graph's own preprocessing), with the
 * training mean (z = 0) as the reference. Without hidden layers the raw output is linear in z, and the
 * Shapley value of a feature is exactly Σ w·z over its columns. With hidden layers they are estimated by
 * sampled Shapley (Castro, Gómez and Tejada 2009): features are switched from the reference to the row in
 * random orders — antithetic pairs, a fixed seed so a row's answer does not change between calls — and
 * each feature is credited the change it makes. Every order telescopes to f(z) − f(0), so the
 * contributions add up to the raw score exactly; only how they split between features is an estimate.
 */
export class NetworkAttribution {
  readonly outputs: number;
  readonly approximate: boolean;
  private readonly width: number;
  private readonly z: Float64Array;

  constructor(private readonly net: NetworkModel, private readonly groups: Int32Array, private readonly features: number) {
    this.width = net.mean.length;
    this.outputs = net.layers[net.layers.length - 1].units;
    this.approximate = net.layers.length > 1;
    this.z = new Float64Array(this.width);
  }

  raw(X: ArrayLike<number>, at: number, out: Float64Array): void {
    this.standardise(X, at, this.z);
    out.set(this.forward(this.z));
  }

  explain(X: ArrayLike<number>, at: number, output: number, phi: Float64Array): number {
    const z = this.standardise(X, at, new Float64Array(this.width));
    const K = this.outputs;
    if (!this.approximate) {
      const { kernel, bias } = this.net.layers[0];
      for (let j = 0; j < this.width; j++) phi[this.groups[j]] += kernel[j * K + output] * z[j];
      return bias[output];
    }
    const reference = this.forward(new Float64Array(this.width))[output];
    const random = seededRandom(1);
    const order = Uint32Array.from({ length: this.features }, (_, f) => f);
    const columnsOf: number[][] = Array.from({ length: this.features }, () => []);
    this.groups.forEach((f, j) => columnsOf[f].push(j));
    const sums = new Float64Array(this.features);
    const current = new Float64Array(this.width);
    const walk = (sequence: ArrayLike<number>) => {
      current.fill(0);
      let before = reference;
      for (let s = 0; s < sequence.length; s++) {
        const f = sequence[s];
        for (const j of columnsOf[f]) current[j] = z[j];
        const after = this.forward(current)[output];
        sums[f] += after - before;
        before = after;
      }
    };
    for (let p = 0; p < SHAPLEY_PERMUTATIONS / 2; p++) {
      shuffleInPlace(order, random);
      walk(order);
      walk(Uint32Array.from(order).reverse());
    }
    for (let f = 0; f < this.features; f++) phi[f] += sums[f] / SHAPLEY_PERMUTATIONS;
    return reference;
  }

  /** The graph's preprocessing, in the float32 steps it takes (network/preprocessing.ts). */
  private standardise(X: ArrayLike<number>, at: number, z: Float64Array): Float64Array {
    const { log_scale, mean, std } = this.net;
    for (let j = 0; j < this.width; j++) {
      let x = X[at + j];
      if (log_scale[j]) x = Math.sign(x) * Math.fround(Math.log(Math.fround(Math.abs(x) + 1)));
      z[j] = Math.fround(x - mean[j]) / std[j];
    }
    return z;
  }

  /** The last layer's output, before the head. */
  private forward(input: Float64Array): Float64Array {
    let h = input;
    const { layers } = this.net;
    for (let l = 0; l < layers.length; l++) {
      const { kernel, bias, inputs, units } = layers[l];
      const out = Float64Array.from(bias);
      for (let i = 0; i < inputs; i++) {
        const v = h[i];
        if (v === 0) continue;
        for (let u = 0; u < units; u++) out[u] += v * kernel[i * units + u];
      }
      if (l < layers.length - 1) for (let u = 0; u < units; u++) if (out[u] < 0) out[u] = 0;
      h = out;
    }
    return h;
  }
}
