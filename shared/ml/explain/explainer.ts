import { encodedColumns, type FeatureSpec } from '../../data/encoding';
import { attributionOf, type Attribution } from './attribution';
import type { ExplainerModel } from './explainer_file';
import { applyLink } from './links';
import { calibrate, type Calibrator } from '../calibration/calibrator';

/**
 * One row's explanation: base_value + Σ contributions = raw_score, the margin before the link, and
 * `score` what the model serves (P(positive), the explained class's probability, the value, or the
 * anomaly score). A multiclass model explains the class it predicts, named in `class`.
 */
export interface Explanation {
  base_value: number;
  raw_score: number;
  score: number;
  class?: string;
  contributions: Record<string, number>;
  /** Present (true) when how the raw score splits between features is estimated, not exact. */
  approximate?: true;
}

/** The numbers behind one explanation, per original feature in the manifest's order. */
export interface RowAttribution {
  output: number;
  base: number;
  raw: number;
  score: number;
  phi: Float64Array;
}

export class Explainer {
  readonly features: string[];
  private readonly attribution: Attribution;
  private readonly rawScores: Float64Array;

  constructor(
    private readonly model: ExplainerModel,
    specs: readonly FeatureSpec[],
    private readonly classes: readonly string[] | null,
    private readonly multiclass: boolean,
    /** A binary model's calibration folded into its ONNX: the served score is the calibrated probability. */
    private readonly calibrator: Calibrator | null = null,
  ) {
    this.features = specs.map((s) => s.name);
    const index = new Map(this.features.map((f, i) => [f, i]));
    const groups = Int32Array.from(encodedColumns(specs), (c) => index.get(c.feature)!);
    this.attribution = attributionOf(model, groups, this.features.length);
    this.rawScores = new Float64Array(this.attribution.outputs);
  }

  get approximate(): boolean {
    return this.attribution.approximate;
  }

  /** Row `i` of row-major X [n × width]. */
  attribute(X: ArrayLike<number>, width: number, i: number): RowAttribution {
    const at = i * width;
    const raw = this.rawScores;
    this.attribution.raw(X, at, raw);
    const scores = applyLink(this.model.link, raw, this.model.kind === 'trees' ? this.model.norm : undefined);
    let output = 0;
    if (this.multiclass) for (let k = 1; k < scores.length; k++) if (scores[k] > scores[output]) output = k;
    const phi = new Float64Array(this.features.length);
    const base = this.attribution.explain(X, at, output, phi);
    // the raw score is the margin the trees or weights add up to; the calibration maps its probability
    const score = this.calibrator && !this.multiclass ? calibrate(this.calibrator, [scores[output]])[0] : scores[output];
    return { output, base, raw: raw[output], score, phi };
  }

  /** Explanations of rows X [n × width], each with its `topK` largest contributions (by size) or all of them. */
  explain(X: ArrayLike<number>, width: number, n: number, topK?: number): Explanation[] {
    const out: Explanation[] = [];
    for (let i = 0; i < n; i++) {
      const a = this.attribute(X, width, i);
      const order = this.features.map((_, f) => f).sort((p, q) => Math.abs(a.phi[q]) - Math.abs(a.phi[p]));
      const kept = topK === undefined ? order : order.slice(0, topK);
      out.push({
        base_value: a.base,
        raw_score: a.raw,
        score: a.score,
        ...(this.multiclass && this.classes ? { class: this.classes[a.output] } : {}),
        contributions: Object.fromEntries(kept.map((f) => [this.features[f], a.phi[f]])),
        ...(this.approximate ? { approximate: true as const } : {}),
      });
    }
    return out;
  }
}
