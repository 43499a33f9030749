import { errorMessage, MloopError } from '../../../core/errors';
import type { Task } from '../../../data/prepare';
import type { BlendRecord, CandidateRecord, Selection } from '../../selection';
import { isBetter, measure, taskMetric } from '../../task_metric';
import type { OnProgress, TrainedModel } from '../../trained_model';
import type { TrainingData } from '../../training_data';
import { isImageFamily } from '../family';
import { family, FAMILY_NAMES } from '../registry';
import { trainTable } from '../trainers';
import { blendModel } from './blend';
import { ensembleSelection } from './ensemble_selection';
import { foldOf, foldRows } from './folds';
import { autoBudgetSeconds, crossValidates, resolveAutoParams, type AutoParams } from './params';

/**
 * `auto`: each candidate family in turn, under one wall-clock budget, each measured on validation by
 * the run's metric; the best one's model is returned as it trained. A candidate that cannot run here
 * (unknown to the registry, wrong task, too little data) is skipped; one still training when the
 * budget runs out is stopped; one whose trainer throws is recorded as failed. Every one is recorded.
 *
 * On small data (crossValidates) the trained candidates are then cross-validated on the training rows
 * (each fold's model still stops early on the validation split, never on the fold it is scored on),
 * and the choice goes by the mean of the folds and validation: k + 1 estimates over every labelled row
 * the trainer may see, where validation alone is one. The model returned is still the winner's as it
 * trained on the train split, the same model the family alone would give. Should the budget run out
 * during the folds, the choice falls back to validation alone, and says so.
 */

/** Thrown from a candidate's progress callback to stop its trainer, which unwinds through its finally blocks. */
class BudgetSpent extends Error {
  constructor(readonly iteration: number, readonly iterations: number) {
    super('the time budget ran out');
  }
}

/** Why a candidate cannot run on this data, or null. */
export function skipReason(name: string, task: Task, trainRows: number, p: Pick<AutoParams, 'mlp_min_rows'>): string | null {
  if (name === 'auto') return 'auto cannot be its own candidate';
  if (!FAMILY_NAMES.includes(name)) return `no family "${name}" in this build's registry`;
  const f = family(name);
  if (isImageFamily(f)) return `${name} trains on images`;
  if (!f.supervised) return `${name} learns without the target`;
  if (!f.tasks.includes(task)) return `${name} does not train ${task} targets`;
  if (name === 'mlp' && trainRows < p.mlp_min_rows) return `${trainRows} training rows, fewer than mlp_min_rows (${p.mlp_min_rows}): trees win there, faster`;
  return null;
}

/** What auto hands on to a candidate: the seed, and the networks' epochs and backend, where it takes them. */
function candidateParams(name: string, p: AutoParams): Record<string, unknown> {
  const f = family(name);
  return {
    ...('seed' in f.defaults ? { seed: p.seed } : {}),
    ...(f.takesEpochs ? { epochs: p.epochs } : {}),
    ...(f.takesBackend ? { backend: p.backend } : {}),
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The metric's mean over the estimates where it is defined (an AUC is not on a fold of one class). */
function meanOf(values: number[]): number {
  const defined = values.filter(Number.isFinite);
  return defined.length > 0 ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN;
}

export async function trainAuto(data: TrainingData, params: Record<string, unknown> = {}, onProgress?: OnProgress): Promise<TrainedModel> {
  const p = resolveAutoParams(params);
  const metric = taskMetric(data.task, p.metric === 'auto' ? undefined : p.metric);
  const cv = crossValidates(p, data.train.n);
  // the folds train k models more per candidate, each costing about what the candidate's own training did
  const budget = p.time_budget_s > 0 ? p.time_budget_s : Math.min(3600, autoBudgetSeconds(data.train.n) * (cv ? p.cv_folds + 1 : 1));
  const start = performance.now();
  const deadline = start + budget * 1000;
  const classes = data.classes?.length ?? 0;
  const records: CandidateRecord[] = [];
  // every trained model is kept until the folds and the blend have spoken, with its validation predictions
  const trained: Trained[] = [];
  let best: { record: CandidateRecord; model: TrainedModel } | null = null;
  const budgetCheck = (step: { iteration: number; iterations: number }) => {
    // the last iteration finishes: its model is whole
    if (performance.now() > deadline && step.iteration < step.iterations) throw new BudgetSpent(step.iteration, step.iterations);
  };

  for (const [index, name] of p.candidates.entries()) {
    const skipped = (reason: string) => records.push({ family: name, status: 'skipped', value: null, seconds: 0, best_iteration: null, params: null, reason });
    const reason = skipReason(name, data.task, data.train.n, p);
    if (reason !== null) {
      skipped(reason);
      continue;
    }
    if (performance.now() >= deadline) {
      skipped(`the ${budget} s budget was spent before it could start`);
      continue;
    }
    const unit = family(name).progressUnit;
    const started = performance.now();
    const progress: OnProgress = async (step) => {
      await onProgress?.({ ...step, family: name, candidate: index, candidates: p.candidates.length, unit });
      budgetCheck(step);
    };
    const seconds = () => round((performance.now() - started) / 1000);
    try {
      const model = await trainTable(name, data, candidateParams(name, p), progress);
      const validation = model.predict(data.validation.X, data.validation.n);
      const value = measure(metric, data.validation.y, validation, classes);
      const record: CandidateRecord = {
        family: name,
        status: 'trained',
        value: Number.isFinite(value) ? value : null,
        seconds: seconds(),
        best_iteration: model.bestIteration,
        params: model.params,
      };
      records.push(record);
      trained.push({ record, model, validation, outOfFold: null });
      // on a tie the earlier candidate stays: the list is in order of preference
      if (!best || isBetter(metric, value, best.record.value ?? NaN)) best = { record, model };
    } catch (err) {
      if (err instanceof BudgetSpent) {
        records.push({
          family: name,
          status: 'stopped',
          value: null,
          seconds: seconds(),
          best_iteration: null,
          params: null,
          reason: `stopped at ${unit} ${err.iteration}/${err.iterations}: the ${budget} s budget ran out`,
        });
      } else {
        records.push({ family: name, status: 'failed', value: null, seconds: seconds(), best_iteration: null, params: null, reason: errorMessage(err) });
      }
    }
  }

  const summary = records.map((r) => `${r.family}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`).join('; ');
  if (!best) throw new MloopError('failed_precondition', `auto trained no candidate: ${summary}`, { candidates: records });
  let measured = `validation split (${data.validation.n} rows)`;
  if (cv && trained.length > 1) {
    const outcome = await crossValidate(data, trained, p, metric, classes, budgetCheck);
    if (outcome === null) {
      measured = `mean of ${p.cv_folds}-fold cross-validation on the ${data.train.n} training rows and the validation split (${data.validation.n} rows)`;
      best = null;
      for (const { record, model } of trained) {
        record.validation = record.value;
        const value = meanOf([...record.folds!.map((v) => v ?? NaN), record.value ?? NaN]);
        record.value = Number.isFinite(value) ? value : null;
        if (!best || isBetter(metric, value, best.record.value ?? NaN)) best = { record, model };
      }
    } else {
      measured += `: the cross-validation was abandoned (${outcome}), so validation alone chose`;
    }
  }
  const winner = best!;
  const blend = p.blend && trained.length > 1 ? blendOf(data, trained, metric, classes, p.blend_rounds) : null;
  const selection: Selection = {
    by: 'auto',
    metric: metric.name,
    higher_is_better: metric.higherIsBetter,
    budget_seconds: budget,
    measured,
    winner: blend?.record.kept ? 'blend' : winner.record.family,
    candidates: records,
    ...(blend ? { blend: blend.record } : {}),
  };
  if (blend?.record.kept) return { ...blend.model!, chosen: { family: 'auto', selection } };
  return { ...winner.model, chosen: { family: winner.record.family, selection } };
}

type Trained = { record: CandidateRecord; model: TrainedModel; validation: Float32Array; outOfFold: Float32Array | null };

/**
 * Greedy ensemble selection over the trained candidates, on their out-of-fold predictions of the
 * training rows and their models' predictions of validation where every candidate was cross-validated,
 * on validation alone otherwise. The blend is kept when it holds two candidates or more (it then scored
 * better than the best one alone on those rows); its members are the candidates' models as they trained
 * on the train split.
 */
function blendOf(data: TrainingData, trained: Trained[], metric: ReturnType<typeof taskMetric>, classes: number, rounds: number): { record: BlendRecord; model: TrainedModel | null } | null {
  const pooledFolds = trained.every((t) => t.outOfFold !== null);
  const y = pooledFolds ? concat(data.train.y, data.validation.y) : data.validation.y;
  const predictions = trained.map((t) => (pooledFolds ? concat(t.outOfFold!, t.validation) : t.validation));
  let chosen;
  try {
    chosen = ensembleSelection(predictions, y, metric, classes, rounds);
  } catch {
    return null;
  }
  trained.forEach((t, c) => {
    const value = measure(metric, y, predictions[c], classes);
    t.record.pooled = Number.isFinite(value) ? value : null;
  });
  const members = trained.map((t, c) => ({ family: t.record.family, weight: chosen.weights[c], model: t.model })).filter((m) => m.weight > 0);
  const kept = members.length > 1;
  const record: BlendRecord = {
    kept,
    members: members.map(({ family, weight }) => ({ family, weight })),
    value: chosen.value,
    single: { family: trained[chosen.single.index].record.family, value: chosen.single.value },
    measured: pooledFolds
      ? `out-of-fold predictions of the ${data.train.n} training rows and the validation split's ${data.validation.n}, pooled`
      : `validation split (${data.validation.n} rows)`,
  };
  return { record, model: kept ? blendModel(members, data.task, classes) : null };
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Each trained candidate's fold scores into its record (`folds`), with the candidate's own parameters
 * and seed; null when every fold of every candidate was scored, otherwise why not (the budget ran out,
 * or a fold's training failed), the records then holding the folds that were.
 */
async function crossValidate(
  data: TrainingData,
  trained: Trained[],
  p: AutoParams,
  metric: ReturnType<typeof taskMetric>,
  classes: number,
  budgetCheck: (step: { iteration: number; iterations: number }) => void,
): Promise<string | null> {
  const fold = foldOf(data.train.y, data.train.n, p.cv_folds, data.task !== 'regression', p.seed);
  for (const candidate of trained) {
    const { record } = candidate;
    record.folds = [];
    const started = performance.now();
    const outOfFold = new Float32Array(candidate.validation.length / data.validation.n * data.train.n);
    const columns = outOfFold.length / data.train.n;
    for (let f = 0; f < p.cv_folds; f++) {
      const held = foldRows(data.train, fold, f, true);
      try {
        const model = await trainTable(record.family, { ...data, train: foldRows(data.train, fold, f, false) }, candidateParams(record.family, p), budgetCheck);
        const predicted = model.predict(held.X, held.n);
        const value = measure(metric, held.y, predicted, classes);
        record.folds.push(Number.isFinite(value) ? value : null);
        // back to the training rows' order: the held rows are those of fold f, in order
        for (let i = 0, at = 0; i < data.train.n; i++) if (fold[i] === f) outOfFold.set(predicted.subarray(at * columns, ++at * columns), i * columns);
      } catch (err) {
        record.seconds = round(record.seconds + (performance.now() - started) / 1000);
        if (err instanceof BudgetSpent) return `the budget ran out in ${record.family}'s fold ${f + 1} of ${p.cv_folds}`;
        return `${record.family}'s fold ${f + 1} of ${p.cv_folds} failed: ${errorMessage(err)}`;
      }
    }
    record.seconds = round(record.seconds + (performance.now() - started) / 1000);
    candidate.outOfFold = outOfFold;
  }
  return null;
}
