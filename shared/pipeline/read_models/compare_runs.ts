import { MloopError } from '../../core/errors';
import type { Curves } from '../../ml/evaluate';
import type { Manifest } from '../../ml/manifest';
import { bestOf, metricDirection, type Direction } from '../../ml/metric_direction';
import type { PrPoint, RocPoint } from '../../ml/metrics';
import type { TrainingEnd } from '../../ml/training_end';
import type { RunDoc, RunHoldout } from '../store/documents';

/**
 * Runs side by side — `mloop runs compare` and the dashboard's compare page: the parameters that
 * differ, each metric with the better value marked, the loss curves and ROC/PR curves to overlay, and
 * the holdout each was measured on, with warnings where the comparison does not hold (other holdouts,
 * other models). Pure: the read model (run_comparison.ts) gathers what it needs.
 */
export const MAX_COMPARED = 8;

export interface ComparedInput {
  run: RunDoc;
  trainer: Manifest['trainer'] | null;
  /** The manifest's algorithm; the run's plan when it has no manifest (it failed before writing one). */
  algorithm: string | null;
  curves: Curves | null;
}

export interface ComparedRun {
  id: string;
  model: string;
  model_version: string;
  dataset_version: string;
  status: RunDoc['status'];
  algorithm: string | null;
  created_at: string;
  training_end: TrainingEnd | null;
  /** `recorded` false: a run trained before the holdout was recorded, its split inferred from the run (the seed may be unknown). */
  holdout: RunHoldout & { recorded: boolean };
}

export interface ParamRow {
  name: string;
  /** One per run, as JSON would print it; null where the run has no such parameter. */
  values: Array<unknown>;
  differs: boolean;
}

export interface MetricRow {
  name: string;
  values: Array<number | null>;
  /** Which way is better; null for counts and the threshold. */
  direction: Direction;
  /** Indices of the better run(s); empty when no value is better. */
  best: number[];
}

export interface RunComparison {
  runs: ComparedRun[];
  /** Every parameter any run has, those that differ first; `differs` false ones the page collapses. */
  params: ParamRow[];
  metrics: MetricRow[];
  /** Loss per epoch or iteration of each run that recorded one, in `runs` order. */
  history: Array<{ run_id: string; unit: TrainingEnd['unit']; points: Array<{ iteration: number; loss: number | null; val_loss: number | null }> }>;
  /** ROC and PR curves on each run's test split (binary models). */
  curves: Array<{ run_id: string; roc: RocPoint[]; pr: PrPoint[] }>;
  same_holdout: boolean;
  same_model: boolean;
  warnings: string[];
}

/** Refuses fewer than 2 runs, more than MAX_COMPARED, or one named twice: before anything is read. */
export function checkComparedIds(ids: readonly string[]): void {
  if (ids.length < 2) throw new MloopError('invalid_argument', `comparing takes at least 2 runs, got ${ids.length}`);
  if (ids.length > MAX_COMPARED) throw new MloopError('invalid_argument', `comparing takes at most ${MAX_COMPARED} runs, got ${ids.length}`);
  const twice = ids.find((id, k) => ids.indexOf(id) !== k);
  if (twice) throw new MloopError('invalid_argument', `run ${twice} is named twice: name each run once`);
}

export function compareRuns(inputs: ComparedInput[]): RunComparison {
  checkComparedIds(inputs.map((i) => i.run.id));
  const runs = inputs.map(comparedRun);
  const warnings: string[] = [];
  const models = [...new Set(runs.map((r) => r.model))];
  if (models.length > 1) warnings.push(`these runs train different models (${models.join(', ')}): their metrics are on different data and targets, and compare only loosely`);
  const unmeasured = runs.filter((r) => !inputs.find((i) => i.run.id === r.id)!.run.metrics);
  for (const r of unmeasured) warnings.push(`run ${r.id} has no metrics (${r.status})`);
  const holdout = holdoutCheck(runs.filter((r) => !unmeasured.includes(r)));
  warnings.push(...holdout.warnings);

  return {
    runs,
    params: paramRows(inputs),
    metrics: metricRows(inputs),
    history: inputs.flatMap(({ run, trainer }) =>
      trainer?.history.length
        ? [{ run_id: run.id, unit: run.training_end?.unit ?? run.progress?.unit ?? 'iteration', points: trainer.history.map((h) => ({ iteration: h.iteration, loss: finite(h.loss), val_loss: finite(h.val_loss) })) }]
        : [],
    ),
    curves: inputs.flatMap(({ run, curves }) => (curves?.roc?.length || curves?.pr?.length ? [{ run_id: run.id, roc: curves.roc ?? [], pr: curves.pr ?? [] }] : [])),
    same_holdout: holdout.same,
    same_model: models.length === 1,
    warnings,
  };
}

const finite = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function comparedRun({ run, algorithm }: ComparedInput): ComparedRun {
  return {
    id: run.id,
    model: run.model,
    model_version: run.model_version,
    dataset_version: run.dataset_version,
    status: run.status,
    algorithm,
    created_at: run.created_at,
    training_end: run.training_end ?? null,
    holdout: run.holdout
      ? { ...run.holdout, recorded: true }
      : {
          dataset_version: run.dataset_version,
          rows: finite(run.metrics?.rows),
          seed: run.plan?.seed ?? null,
          sample: run.plan?.sample ?? null,
          time_column: null,
          recorded: false,
        },
  };
}

/**
 * Metrics measured on different rows say nothing about which model is better. Recorded holdouts must
 * agree in every field; an inferred one (an older run) only in what is known of it.
 */
function holdoutCheck(runs: ComparedRun[]): { same: boolean; warnings: string[] } {
  if (runs.length < 2) return { same: true, warnings: [] };
  const fields = ['dataset_version', 'rows', 'seed', 'sample', 'time_column'] as const;
  const differing = fields.filter((field) => {
    const known = runs.filter((r) => r.holdout.recorded || field === 'dataset_version' || field === 'rows').map((r) => JSON.stringify(r.holdout[field]));
    return new Set(known).size > 1;
  });
  const warnings: string[] = [];
  if (differing.length) {
    const describe = (r: ComparedRun) => `${r.id}: ${differing.map((f) => `${f} ${r.holdout[f] ?? 'none'}`).join(', ')}`;
    warnings.push(`the metrics were measured on different holdouts, so they are not comparable (${runs.map(describe).join('; ')})`);
  }
  const inferred = runs.filter((r) => !r.holdout.recorded);
  if (inferred.length) warnings.push(`the holdout of ${inferred.map((r) => r.id).join(', ')} was not recorded (trained before it was): compared by dataset version and rows only`);
  return { same: differing.length === 0, warnings };
}

/**
 * The ones that differ before the ones that do not; in each, the algorithm first, then the parameters
 * every run has (a learning rate set apart) before those of one family only, by name.
 */
function paramRows(inputs: ComparedInput[]): ParamRow[] {
  const paramsOf = (i: ComparedInput): Record<string, unknown> => ({ algorithm: i.algorithm, ...(i.trainer?.params ?? i.run.plan?.params ?? {}) });
  const all = inputs.map(paramsOf);
  const rank = (name: string) => (name === 'algorithm' ? 0 : all.every((p) => name in p) ? 1 : 2);
  const names = [...new Set(all.flatMap((p) => Object.keys(p)))].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
  const rows = names.map((name) => {
    const values = all.map((p) => (name in p ? p[name] ?? null : null));
    return { name, values, differs: new Set(values.map((v) => JSON.stringify(v))).size > 1 };
  });
  return [...rows.filter((r) => r.differs), ...rows.filter((r) => !r.differs)];
}

function metricRows(inputs: ComparedInput[]): MetricRow[] {
  const names = [...new Set(inputs.flatMap((i) => Object.keys(i.run.metrics ?? {})))];
  return names.map((name) => {
    const values = inputs.map((i) => finite(i.run.metrics?.[name]));
    const direction = metricDirection(name);
    return { name, values, direction, best: bestOf(direction, values) };
  });
}
