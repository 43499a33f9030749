import type { ExplainerModel } from './explainer_file';
import { NetworkAttribution } from './network_attribution';
import { buildEnsemble } from './tree_ensemble';
import { TreeShap } from './tree_shap';

/**
 * One model's attributions on an encoded row, whatever its kind: the raw outputs, and for one output
 * each original feature's contribution (a one-hot categorical's columns summed into its feature) and the
 * base value, such that base + Σ contributions = raw.
 */
export interface Attribution {
  readonly outputs: number;
  /** True where the split between features is estimated (a network with hidden layers). */
  readonly approximate: boolean;
  raw(X: ArrayLike<number>, at: number, out: Float64Array): void;
  /** Adds feature f's contribution to `output` into phi[f]; returns the base value. */
  explain(X: ArrayLike<number>, at: number, output: number, phi: Float64Array): number;
}

/** `groups[j]`: the original feature of encoded column j, one of `features`. */
export function attributionOf(model: ExplainerModel, groups: Int32Array, features: number): Attribution {
  if (model.kind === 'trees') return treeAttribution(model, groups);
  if (model.kind === 'linear') return linearAttribution(model, groups);
  return new NetworkAttribution(model, groups, features);
}

function treeAttribution(model: Extract<ExplainerModel, { kind: 'trees' }>, groups: Int32Array): Attribution {
  const ensemble = buildEnsemble(
    model.outputs,
    model.base,
    model.trees.map((t) => ({
      output: t.output,
      feature: t.feature,
      threshold: t.threshold,
      defaultLeft: t.default_left,
      left: t.left,
      right: t.right,
      cover: t.cover,
      value: t.value,
      leafCover: t.leaf_cover,
    })),
  );
  const shap = new TreeShap(ensemble);
  const bases = Float64Array.from({ length: model.outputs }, (_, k) => shap.baseValue(k));
  const columns = new Float64Array(groups.length);
  return {
    outputs: model.outputs,
    approximate: false,
    raw: (X, at, out) => shap.raw(X, at, out),
    explain(X, at, output, phi) {
      columns.fill(0);
      shap.explain(X, at, output, columns);
      for (let j = 0; j < columns.length; j++) phi[groups[j]] += columns[j];
      return bases[output];
    },
  };
}

/**
 * Exact for a linear margin: w_j (x_j − mean_j), the Shapley value of a column when the others are
 * replaced by their training means; the base is the margin at the mean row. Scale-free, so the same on
 * the standardised columns the solver fitted.
 */
function linearAttribution(model: Extract<ExplainerModel, { kind: 'linear' }>, groups: Int32Array): Attribution {
  const { weights, bias, mean } = model;
  const K = bias.length;
  const width = mean.length;
  const bases = Float64Array.from(bias);
  for (let j = 0; j < width; j++) for (let k = 0; k < K; k++) bases[k] += weights[j * K + k] * mean[j];
  return {
    outputs: K,
    approximate: false,
    raw(X, at, out) {
      out.set(bias);
      for (let j = 0; j < width; j++) for (let k = 0; k < K; k++) out[k] += X[at + j] * weights[j * K + k];
    },
    explain(X, at, output, phi) {
      for (let j = 0; j < width; j++) phi[groups[j]] += weights[j * K + output] * (X[at + j] - mean[j]);
      return bases[output];
    },
  };
}
