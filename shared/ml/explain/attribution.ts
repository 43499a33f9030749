import { MloopError } from '../../core/errors';
import { EXPLAINER_FILE, type ExplainerModel, type MemberModel } from './explainer_file';
import { applyLink } from './links';
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

/** An explainer.json that does not fit the manifest's columns (one imported with another model, say). */
function checkShape(model: MemberModel, width: number): void {
  const wrong = (what: string) => new MloopError('failed_precondition', `${EXPLAINER_FILE} does not fit the model's ${width} encoded columns: ${what}`);
  if (model.kind === 'trees') {
    if (model.base.length !== model.outputs) throw wrong(`${model.base.length} base values for ${model.outputs} outputs`);
    if (model.trees.some((t) => t.feature.some((f) => f >= width))) throw wrong('a tree tests a column past them');
  } else if (model.kind === 'linear') {
    if (model.mean.length !== width || model.weights.length !== width * model.bias.length) throw wrong(`${model.mean.length} means, ${model.weights.length} weights`);
  } else {
    const { layers } = model;
    if (model.mean.length !== width || model.std.length !== width || model.log_scale.length !== width || layers[0].inputs !== width) throw wrong('the network reads another width');
    layers.forEach((l, k) => {
      if (l.kernel.length !== l.inputs * l.units || l.bias.length !== l.units || (k > 0 && l.inputs !== layers[k - 1].units)) throw wrong(`layer ${k} has inconsistent shapes`);
    });
  }
}

/** `groups[j]`: the original feature of encoded column j, one of `features`. */
export function attributionOf(model: ExplainerModel, groups: Int32Array, features: number): Attribution {
  if (model.kind === 'blend') return blendAttribution(model, groups, features);
  checkShape(model, groups.length);
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

/**
 * A blend serves Σ weight_m · link_m(raw_m). Each member's attribution is of its raw margin; it is
 * carried into score units by the member's secant slope (score − base score) / (raw − base), which keeps
 * base + Σ contributions = the blended score exactly. With identity links (a value; a forest's votes)
 * the slope is 1 and the result is the weighted sum of the members' own attributions, as exact as they
 * are; through a sigmoid or softmax the split between features is rescaled, not derived: approximate.
 */
function blendAttribution(model: Extract<ExplainerModel, { kind: 'blend' }>, groups: Int32Array, features: number): Attribution {
  const members = model.members.map(({ weight, model: m }) => {
    const attribution = attributionOf(m, groups, features);
    return { weight, link: m.link, norm: m.kind === 'trees' ? m.norm : undefined, attribution, raw: new Float64Array(attribution.outputs), bases: null as Float64Array | null };
  });
  const outputs = members[0].attribution.outputs;
  if (members.some((m) => m.attribution.outputs !== outputs)) throw new MloopError('failed_precondition', `${EXPLAINER_FILE}: the blend's members answer different numbers of outputs`);
  const scratch = new Float64Array(features);
  return {
    outputs,
    approximate: members.some((m) => m.attribution.approximate || m.link !== 'identity'),
    raw(X, at, out) {
      out.fill(0);
      for (const m of members) {
        m.attribution.raw(X, at, m.raw);
        const scores = applyLink(m.link, m.raw, m.norm);
        for (let k = 0; k < outputs; k++) out[k] += m.weight * scores[k];
      }
    },
    explain(X, at, output, phi) {
      let base = 0;
      for (const m of members) {
        // a member's base values do not depend on the row: read once, every output's (a softmax needs them all)
        if (!m.bases) {
          m.bases = new Float64Array(outputs);
          for (let k = 0; k < outputs; k++) m.bases[k] = m.attribution.explain(X, at, k, scratch.fill(0));
        }
        scratch.fill(0);
        m.attribution.explain(X, at, output, scratch);
        m.attribution.raw(X, at, m.raw);
        const baseScore = applyLink(m.link, m.bases, m.norm)[output];
        const score = applyLink(m.link, m.raw, m.norm)[output];
        const delta = m.raw[output] - m.bases[output];
        let slope = 1;
        if (m.link !== 'identity') {
          if (Math.abs(delta) > 1e-9) slope = (score - baseScore) / delta;
          else {
            const nudged = Float64Array.from(m.bases);
            nudged[output] += 1e-6;
            slope = (applyLink(m.link, nudged, m.norm)[output] - baseScore) / 1e-6;
          }
        }
        for (let f = 0; f < features; f++) phi[f] += m.weight * slope * scratch[f];
        base += m.weight * baseScore;
      }
      return base;
    },
  };
}
