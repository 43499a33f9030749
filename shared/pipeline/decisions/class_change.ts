import { measure, type TaskMetric } from '../../ml/task_metric';

/**
 * The rule when a classifier's candidate and its champion do not know the same classes (an archive
 * added a class folder, or a class was left out), kept pure beside should_promote:
 *
 * - Classes added: the two are compared on the classes both know — the candidate's holdout rows of
 *   those classes, each model's probabilities over those classes (renormalised) — and the candidate
 *   must be no worse there than production by more than `delta` (non-inferiority: learning a class
 *   usually costs a little on the others, and the new class is the gain, which production cannot
 *   match). Each added class's recall on its holdout images must reach `new_class_min_recall` (default
 *   0.5): a class the candidate does not recognise is not worth serving. A class with no holdout image
 *   has no recall and fails the check.
 * - Classes removed: production answers classes the candidate never would. Whether that is right (a
 *   class retired on purpose) or a mistake (an archive forgotten) only a person knows, so a candidate
 *   that passes the checks (on the shared classes, as above) waits for `mloop models approve`.
 */
export const NEW_CLASS_MIN_RECALL = 0.5;

export interface ClassChange {
  rule: 'classes_added' | 'classes_removed';
  added: string[];
  removed: string[];
  shared: string[];
  /** Each added class's recall by the candidate on its holdout images; null when it has none. */
  new_class_recall: Record<string, number | null>;
  min_recall: number;
  /** Holdout rows of the shared classes, on which both models were compared. */
  compared_rows: number;
  /** The candidate's metric on its whole holdout (the decision's candidate_metric is on the shared classes). */
  candidate_metric_all: number | null;
  /** A removed class: the candidate waits for a person whatever the promotion mode. */
  manual_approval: boolean;
  detail: string;
}

export interface ClassChangeInput {
  metric: TaskMetric;
  /** The candidate's classes, in the order of `candidate` and `production`'s columns. */
  classes: readonly string[];
  /** Production's own classes (its manifest). */
  productionClasses: readonly string[];
  /** The holdout's labels, class names. */
  labels: ArrayLike<unknown>;
  /** [n × K] on the candidate's classes; production's columns of a class it does not know are 0. */
  candidate: Float32Array;
  production: Float32Array;
  minRecall?: number;
}

export interface ClassChangeJudgement {
  change: ClassChange;
  /** Both models' metric on the shared classes: what the change test compares. */
  candidate: number | null;
  production: number | null;
  /** The recall check's outcome, for should_promote's list of checks. */
  recallCheck: { passed: boolean; detail: string } | null;
  /** The rows and probabilities compared (labels as indices into `shared`), for the paired bootstrap. */
  compared: { y: Float32Array; candidate: Float32Array; production: Float32Array; classes: number };
}

/** The classes one side knows and the other not; null when the sets are the same. */
export function classSetChange(classes: readonly string[], productionClasses: readonly string[]): { added: string[]; removed: string[]; shared: string[] } | null {
  const added = classes.filter((c) => !productionClasses.includes(c));
  const removed = productionClasses.filter((c) => !classes.includes(c));
  if (added.length === 0 && removed.length === 0) return null;
  return { added, removed, shared: classes.filter((c) => productionClasses.includes(c)) };
}

/** Rows of the shared classes, columns restricted to them and renormalised (a row with no mass there is uniform). */
export function restrictToShared(labels: ArrayLike<unknown>, probabilities: Float32Array, classes: readonly string[], shared: readonly string[]) {
  const K = classes.length;
  const columns = shared.map((c) => classes.indexOf(c));
  const rows: number[] = [];
  for (let i = 0; i < labels.length; i++) if (shared.includes(String(labels[i]))) rows.push(i);
  const y = Float32Array.from(rows, (i) => shared.indexOf(String(labels[i])));
  const p = new Float32Array(rows.length * shared.length);
  rows.forEach((i, r) => {
    let sum = 0;
    for (const k of columns) sum += probabilities[i * K + k];
    columns.forEach((k, j) => {
      p[r * shared.length + j] = sum > 0 ? probabilities[i * K + k] / sum : 1 / shared.length;
    });
  });
  return { y, p };
}

/** The share of a class's rows whose most probable class (over all of the candidate's) is that class; null without rows. */
export function classRecall(labels: ArrayLike<unknown>, probabilities: Float32Array, classes: readonly string[], name: string): number | null {
  const K = classes.length;
  const k = classes.indexOf(name);
  let support = 0;
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    if (String(labels[i]) !== name) continue;
    support++;
    let best = 0;
    for (let c = 1; c < K; c++) if (probabilities[i * K + c] > probabilities[i * K + best]) best = c;
    if (best === k) right++;
  }
  return support === 0 ? null : right / support;
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);
const fmt = (v: number | null) => (v === null ? 'none' : v.toFixed(4));

/** The class change's judgement, or null when both know the same classes (the ordinary comparison applies). */
export function judgeClassChange(input: ClassChangeInput, candidateMetricAll: number | null): ClassChangeJudgement | null {
  const sets = classSetChange(input.classes, input.productionClasses);
  if (!sets) return null;
  const { added, removed, shared } = sets;
  const minRecall = input.minRecall ?? NEW_CLASS_MIN_RECALL;
  const c = restrictToShared(input.labels, input.candidate, input.classes, shared);
  const p = restrictToShared(input.labels, input.production, input.classes, shared);
  const candidate = shared.length >= 2 ? finite(measure(input.metric, c.y, c.p, shared.length)) : null;
  const production = shared.length >= 2 ? finite(measure(input.metric, p.y, p.p, shared.length)) : null;
  const recall = Object.fromEntries(added.map((name) => [name, classRecall(input.labels, input.candidate, input.classes, name)]));
  const short = added.filter((name) => recall[name] === null || recall[name]! < minRecall);
  const recallCheck =
    added.length === 0
      ? null
      : {
          passed: short.length === 0,
          detail:
            short.length === 0
              ? `each new class reaches the recall floor ${minRecall}: ${added.map((n) => `${n} ${fmt(recall[n])}`).join(', ')}`
              : `new class(es) below the recall floor ${minRecall}: ${short.map((n) => `${n} ${recall[n] === null ? 'has no holdout image' : fmt(recall[n])}`).join(', ')}`,
        };
  const parts = [
    added.length ? `class(es) added: ${added.join(', ')}` : '',
    removed.length ? `class(es) removed: ${removed.join(', ')}` : '',
    `compared on the ${shared.length} shared class(es) (${c.y.length} holdout rows): candidate ${input.metric.name} ${fmt(candidate)}, production ${fmt(production)}`,
    removed.length ? 'a removed class needs a person: the candidate waits for `mloop models approve`' : '',
  ].filter(Boolean);
  return {
    change: {
      rule: removed.length ? 'classes_removed' : 'classes_added',
      added,
      removed,
      shared,
      new_class_recall: recall,
      min_recall: minRecall,
      compared_rows: c.y.length,
      candidate_metric_all: candidateMetricAll,
      manual_approval: removed.length > 0,
      detail: parts.join('; '),
    },
    candidate,
    production,
    recallCheck,
    compared: { y: c.y, candidate: c.p, production: p.p, classes: shared.length },
  };
}
