import { MloopError } from '../../core/errors';
import { encodedColumns, type FeatureSpec } from '../../data/encoding';
import { attributionOf, type Attribution } from './attribution';
import type { ExplainerModel } from './explainer_file';
import { applyLink } from './links';
import { calibrate, type Calibrator } from '../calibration/calibrator';

/**
 * One row's explanation: base_value + Σ contributions = raw_score, the margin before the link, and
 * `score` what the model serves (P(positive), the explained class's probability, the value, or the
 * anomaly score). A multiclass model explains the class it predicts, or the one asked for, named in
 * `class`; asked for every class, `classes` holds each class's explanation beside the predicted one's.
 */
export interface Explanation {
  base_value: number;
  raw_score: number;
  score: number;
  class?: string;
  contributions: Record<string, number>;
  /** Present (true) when how the raw score splits between features is estimated, not exact. */
  approximate?: true;
  classes?: Record<string, ClassExplanation>;
}

export type ClassExplanation = Pick<Explanation, 'base_value' | 'raw_score' | 'score' | 'contributions'>;

/** Which output of a multiclass model to explain: the predicted class (default), a named one, or all. */
export type ClassChoice = { class: string } | { classes: 'all' };

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

  /** The class index a choice names; refused when the model has no classes to choose from. */
  classIndex(name: string): number {
    const k = this.choosableClasses().indexOf(name);
    if (k < 0) throw new MloopError('invalid_argument', `"class": ${JSON.stringify(name).slice(0, 80)} is not one of the model's classes (${this.choosableClasses().slice(0, 20).join(', ')})`);
    return k;
  }

  private choosableClasses(): readonly string[] {
    if (!this.multiclass || !this.classes) throw new MloopError('invalid_argument', 'only a multiclass model explains a chosen class ("class" or "classes")');
    return this.classes;
  }

  /** Row `i` of row-major X [n × width], for `output` (default: the predicted class, or the only output). */
  attribute(X: ArrayLike<number>, width: number, i: number, chosen?: number): RowAttribution {
    const at = i * width;
    const raw = this.rawScores;
    this.attribution.raw(X, at, raw);
    const scores = applyLink(this.model.link, raw, this.model.kind === 'trees' ? this.model.norm : undefined);
    let output = 0;
    if (chosen !== undefined) output = chosen;
    else if (this.multiclass) for (let k = 1; k < scores.length; k++) if (scores[k] > scores[output]) output = k;
    const phi = new Float64Array(this.features.length);
    const base = this.attribution.explain(X, at, output, phi);
    // the raw score is the margin the trees or weights add up to; the calibration maps its probability
    const score = this.calibrator && !this.multiclass ? calibrate(this.calibrator, [scores[output]])[0] : scores[output];
    return { output, base, raw: raw[output], score, phi };
  }

  /**
   * Explanations of rows X [n × width], each with its `topK` largest contributions (by size) or all of
   * them; of a multiclass model, the predicted class's unless `choice` names one or asks for all.
   */
  explain(X: ArrayLike<number>, width: number, n: number, topK?: number, choice?: ClassChoice): Explanation[] {
    const chosen = choice && 'class' in choice ? this.classIndex(choice.class) : undefined;
    const all = choice !== undefined && 'classes' in choice ? this.choosableClasses() : null;
    const out: Explanation[] = [];
    for (let i = 0; i < n; i++) {
      const a = this.attribute(X, width, i, chosen);
      const explanation: Explanation = {
        ...this.answer(a, topK),
        ...(this.multiclass && this.classes ? { class: this.classes[a.output] } : {}),
        ...(this.approximate ? { approximate: true as const } : {}),
      };
      if (all) explanation.classes = Object.fromEntries(all.map((name, k) => [name, k === a.output ? this.answer(a, topK) : this.answer(this.attribute(X, width, i, k), topK)]));
      out.push(explanation);
    }
    return out;
  }

  private answer(a: RowAttribution, topK?: number): ClassExplanation {
    const order = this.features.map((_, f) => f).sort((p, q) => Math.abs(a.phi[q]) - Math.abs(a.phi[p]));
    const kept = topK === undefined ? order : order.slice(0, topK);
    return { base_value: a.base, raw_score: a.raw, score: a.score, contributions: Object.fromEntries(kept.map((f) => [this.features[f], a.phi[f]])) };
  }
}
