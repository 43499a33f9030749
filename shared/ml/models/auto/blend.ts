import type { Task } from '../../../data/prepare';
import type { ExplainerModel } from '../../explain/explainer_file';
import { exportBlendOnnx } from '../../onnx_blend';
import { ONNX_OUTPUTS } from '../../onnx_io';
import type { TrainedModel } from '../../trained_model';

/**
 * auto's blend as one model: the weighted average of its members' predictions (probabilities, class
 * probabilities or values), one ONNX graph holding every member's (onnx_blend.ts), and an explainer
 * over the members' explainers when each member has one.
 */
export interface BlendPart {
  family: string;
  weight: number;
  model: TrainedModel;
}

export function blendModel(parts: BlendPart[], task: Task, classes: number): TrainedModel {
  const columns = task === 'multiclass' ? classes : 1;
  const heaviest = parts.reduce((a, b) => (b.weight > a.weight ? b : a));
  const explainers = parts.map((p) => p.model.explainer);
  const explainer: ExplainerModel | undefined = explainers.every((e) => e !== undefined && e.kind !== 'blend')
    ? { kind: 'blend', link: 'identity', members: parts.map((p, m) => ({ weight: p.weight, model: explainers[m] as Exclude<ExplainerModel, { kind: 'blend' }> })) }
    : undefined;
  const described = parts.map((p) => `${p.family} ${p.weight.toFixed(2)}`).join(', ');
  // each feature's gain shares, weighted: the families measure gain in their own units
  const importance = new Map<string, number>();
  for (const p of parts) {
    const total = (p.model.importance ?? []).reduce((s, f) => s + f.gain, 0);
    if (total > 0) for (const f of p.model.importance!) importance.set(f.feature, (importance.get(f.feature) ?? 0) + (p.weight * f.gain) / total);
  }
  return {
    onnx: exportBlendOnnx(
      parts.map((p) => ({ onnx: p.model.onnx, weight: p.weight })),
      ONNX_OUTPUTS[task as 'binary' | 'multiclass' | 'regression'],
      columns,
      `mloop auto blend: ${described}`,
    ),
    predict(X, n) {
      const out = new Float32Array(n * columns);
      const sum = new Float64Array(n * columns);
      for (const p of parts) {
        const own = p.model.predict(X, n);
        for (let i = 0; i < sum.length; i++) sum[i] += p.weight * own[i];
      }
      out.set(sum);
      return out;
    },
    // the heaviest member's curve: a blend has no training curve of its own
    history: heaviest.model.history,
    bestIteration: heaviest.model.bestIteration,
    backend: `blend of ${described}`,
    params: { blend: parts.map((p) => ({ family: p.family, weight: p.weight, params: p.model.params })) },
    ...(importance.size > 0 ? { importance: [...importance].map(([feature, gain]) => ({ feature, gain })).sort((a, b) => b.gain - a.gain) } : {}),
    ...(explainer ? { explainer } : {}),
  };
}
