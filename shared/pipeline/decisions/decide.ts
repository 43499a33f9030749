import type { ServingCost } from '../promotion/serving_cost';
import type { DecisionDoc } from '../store/documents';
import { shouldPromote } from './should_promote';
import { decisionId } from './supersede';
import type { TaskMetric } from '../../ml/task_metric';
import type { HoldoutMetric } from '../promotion/holdout_metric';
import { pairedBootstrapAuc, pairedBootstrapMetric } from '../../ml/paired_bootstrap';
import { measure } from '../../ml/task_metric';
import { judgeClassChange, type ClassChangeJudgement } from './class_change';
import { overallMetrics, sliceMetrics, type SliceColumn, type SliceInput, type SliceResult } from '../../ml/slice_metrics';
import { sliceGuardrail } from './slice_guardrail';

/** How a candidate is judged: the dataset's `mloop.json` over the deployment's defaults. */
export interface PromotionPolicy {
  delta: number;
  metric?: string;
  mode: 'auto' | 'manual';
  floor?: number;
  maxP99Ms?: number;
  maxModelMb?: number;
  /** A multiclass candidate with classes production lacks: the recall each must reach (class_change.ts). */
  newClassMinRecall?: number;
  /** The slice guardrail (slice_guardrail.ts): off without maxSliceDrop. */
  maxSliceDrop?: number;
  minSliceRows?: number;
  /** mloop.json's slice columns; absent: the categorical features of few values (promotion/slice_columns.ts). */
  slices?: string[];
}

export interface DecisionInput {
  run: { id: string; attempt: number; model: string; model_version: string };
  task: string;
  metric: TaskMetric;
  policy: PromotionPolicy;
  /** The candidate's labels on its holdout, for the paired bootstrap. */
  labels: ArrayLike<unknown>;
  /** A multiclass candidate's classes, in the order of its probabilities' columns. */
  classes?: readonly string[] | null;
  candidate: HoldoutMetric;
  serving: ServingCost;
  production: { version: string | null; metric: HoldoutMetric };
  /** Each slice column's value on every holdout row, in the rows' order. */
  sliceColumns?: readonly SliceColumn[];
  /** Slice columns mloop.json names that the holdout's rows do not have (a dropped column): said in the reasons. */
  missingSliceColumns?: readonly string[];
  at: Date;
}

/**
 * The decision against the production version of this moment, not yet committed: pure, so that what
 * decides a promotion can be read and tested apart from the reads and writes around it.
 */
export function decide(input: DecisionInput): DecisionDoc {
  const { run, metric, policy, serving, production } = input;
  const judged = classChange(input);
  const { slices, overall } = slicesOf(input);
  const guard = sliceGuardrail({ slices, metric, maxDrop: policy.maxSliceDrop, minRows: policy.minSliceRows });
  const candidateValue = judged ? judged.candidate : input.candidate.value;
  const productionValue = judged ? judged.production : production.metric.value;
  const verdict = shouldPromote({
    candidate: candidateValue,
    production: productionValue,
    delta: policy.delta,
    metric: metric.name,
    higherIsBetter: metric.higherIsBetter,
    relativeDelta: metric.relativeDelta,
    floor: policy.floor,
    p99Ms: serving.p99_ms,
    maxP99Ms: policy.maxP99Ms,
    modelBytes: serving.model_bytes,
    maxModelBytes: policy.maxModelMb === undefined ? undefined : policy.maxModelMb * 1e6,
    nonInferior: judged !== null,
    extra: [...(judged?.recallCheck ? [{ name: 'new_class_recall' as const, ...judged.recallCheck }] : []), ...(guard ? [guard.check] : [])],
  });
  if (production.metric.error) verdict.reasons.push(`production ${production.version} could not score the holdout: ${production.metric.error}`);
  if (judged) verdict.reasons.unshift(judged.change.detail);
  for (const column of input.missingSliceColumns ?? []) verdict.reasons.push(`slice column ${column} is not among the holdout's columns (dropped, or not in the file): not sliced by`);
  const manual = policy.mode === 'manual' || Boolean(judged?.change.manual_approval);
  if (verdict.promote && policy.mode === 'manual') verdict.reasons.push('promotion mode is manual: the candidate waits for `mloop models approve`');
  return {
    id: decisionId(run.id, run.attempt),
    model: run.model,
    candidate_version: run.model_version,
    production_version: production.version,
    promote: verdict.promote,
    metric: metric.name,
    candidate_metric: candidateValue,
    production_metric: productionValue,
    delta: policy.delta,
    reasons: verdict.reasons,
    checks: verdict.checks,
    mode: manual ? 'manual' : policy.mode,
    awaiting_approval: verdict.promote && manual,
    serving,
    // a clustering's cluster indices are no scores to resample an AUC of
    bootstrap: metric.name === 'silhouette' ? null : input.task === 'binary' ? bootstrapOf(input.labels, input.candidate, production.metric) : input.task === 'multiclass' ? multiclassBootstrap(input, judged) : null,
    holdout_rows: input.labels.length,
    class_change: judged?.change ?? null,
    slices,
    ...(overall ? { holdout_metrics: overall } : {}),
    ...(guard ? { slice_failures: guard.failures } : {}),
    run_id: run.id,
    decided_at: input.at.toISOString(),
    outcome: 'decided',
  };
}

/**
 * Every metric on each slice of the holdout and on all of it, both models, with intervals; none for a
 * clustering (its cluster indices are no predictions of the target).
 */
function slicesOf(input: DecisionInput): { slices: SliceResult[]; overall: SliceResult | null } {
  const { candidate, production, metric, task } = input;
  const columns = input.sliceColumns ?? [];
  const none = { slices: [], overall: null };
  if (metric.name === 'silhouette' || !candidate.predicted) return none;
  if (task !== 'binary' && task !== 'multiclass' && task !== 'regression') return none;
  const classes = input.classes ?? [];
  const y = Float64Array.from(input.labels as ArrayLike<unknown>, (label) => (task === 'multiclass' ? classes.indexOf(String(label)) : Number(label)));
  if (task === 'multiclass' && y.some((k) => k < 0)) return none;
  const measured: SliceInput = {
    task,
    classes: classes.length,
    y,
    candidate: candidate.predicted,
    production: production.metric.predicted ?? null,
    columns,
    metric: metric.name,
    resamples: SLICE_RESAMPLES,
    seed: BOOTSTRAP.seed,
  };
  return { slices: columns.length > 0 ? sliceMetrics(measured) : [], overall: overallMetrics(measured) };
}

// Fewer than the overall bootstrap's: every slice of every column is resampled, and each draw measures every metric.
const SLICE_RESAMPLES = 200;

/** A multiclass candidate judged against a production model of other classes, or null (the same classes, or nothing to compare). */
function classChange(input: DecisionInput): ClassChangeJudgement | null {
  const { candidate, production, metric } = input;
  const classes = input.classes;
  if (input.task !== 'multiclass' || metric.name === 'silhouette' || !classes || !production.metric.classes || !candidate.predicted || !production.metric.predicted) return null;
  return judgeClassChange(
    {
      metric,
      classes,
      productionClasses: production.metric.classes,
      labels: input.labels,
      candidate: candidate.predicted,
      production: production.metric.predicted,
      minRecall: input.policy.newClassMinRecall,
    },
    candidate.value,
  );
}

// Fixed, so that a redelivered completion records the very same interval.
const BOOTSTRAP = { resamples: 1000, seed: 20_240_601 };

/** How sure the AUC difference is, on the same rows for both models; none without a production model. */
function bootstrapOf(labels: ArrayLike<unknown>, candidate: HoldoutMetric, production: HoldoutMetric): DecisionDoc['bootstrap'] {
  if (!candidate.predicted || !production.predicted) return null;
  const y = Float32Array.from(labels as ArrayLike<unknown>, (label) => Number(label));
  return pairedBootstrapAuc(y, candidate.predicted, production.predicted, BOOTSTRAP.resamples, BOOTSTRAP.seed);
}

/**
 * The promotion metric's difference on resamples of the rows both models were compared on: the whole
 * holdout, or its rows of the shared classes when the class set changed. None without production.
 */
function multiclassBootstrap(input: DecisionInput, judged: ClassChangeJudgement | null): DecisionDoc['bootstrap'] {
  const { candidate, production, metric } = input;
  let compared = judged?.compared;
  if (!compared) {
    const classes = input.classes;
    if (!classes || !candidate.predicted || !production.metric.predicted) return null;
    const y = Float32Array.from(input.labels as ArrayLike<unknown>, (label) => classes.indexOf(String(label)));
    compared = { y, candidate: candidate.predicted, production: production.metric.predicted, classes: classes.length };
  }
  const { y, classes: K } = compared;
  if (y.length === 0 || y.some((k) => k < 0)) return null;
  const c = compared.candidate;
  const p = compared.production;
  const gather = (rows: Uint32Array) => {
    const ys = new Float32Array(rows.length);
    const cs = new Float32Array(rows.length * K);
    const ps = new Float32Array(rows.length * K);
    rows.forEach((row, i) => {
      ys[i] = y[row];
      cs.set(c.subarray(row * K, (row + 1) * K), i * K);
      ps.set(p.subarray(row * K, (row + 1) * K), i * K);
    });
    return { ys, cs, ps };
  };
  return pairedBootstrapMetric(
    metric.name,
    y.length,
    (rows) => {
      if (!rows) return [measure(metric, y, c, K), measure(metric, y, p, K)];
      const { ys, cs, ps } = gather(rows);
      return [measure(metric, ys, cs, K), measure(metric, ys, ps, K)];
    },
    BOOTSTRAP.resamples,
    BOOTSTRAP.seed,
  );
}
