import { MloopError } from '../../core/errors';
import { headlineMetrics, type HeadlineMetric } from '../../ml/headline_metrics';
import type { Context } from '../context';
import type { DatasetDoc, DecisionDoc, ModelVersionDoc, RunDoc } from '../store/documents';
import { storeOf } from '../store';

/** Read models for the CLI and the admin API: the shapes `--json` prints. */
export interface RunView {
  id: string;
  model: string;
  model_version: string;
  dataset_version: string;
  status: RunDoc['status'];
  attempt: number;
  reason: string;
  progress: RunDoc['progress'] | null;
  /** How a finished run's training ended (early stop, best iteration); null while it runs and on older runs. */
  training_end: RunDoc['training_end'] | null;
  /** The test split its metrics were measured on; null until it has metrics, and on older runs. */
  holdout: RunDoc['holdout'] | null;
  metrics: RunDoc['metrics'] | null;
  /** What a listing shows of the metrics: AUC, or accuracy and macro-F1 for images (ml/headline_metrics.ts). */
  headline: HeadlineMetric[];
  promoted: boolean | null;
  /** Decisions that another promotion overtook before they were committed; the run was judged again after each. */
  superseded_decisions: string[];
  error: string | null;
  created_at: string;
  finished_at: string | null;
  duration_seconds: number | null;
  backend: string | null;
  resources: RunDoc['resources'] | null;
  cost_usd: number | null;
  /** The family trained: the run's plan, or what its request asked for. */
  algorithm: string | null;
  tags: Record<string, string>;
  /** A cancelled run: who cancelled it, and why. */
  cancelled_by: string | null;
  cancel_reason: string | null;
  /** `imported`: registered by `mloop models import`, trained elsewhere (see `imported` on the run document). */
  source: 'trained' | 'imported';
  /** When `auto` chose the family: every candidate, as the run recorded it. */
  selection: RunDoc['selection'] | null;
}

export interface ModelView {
  model: string;
  version: string;
  stage: ModelVersionDoc['stage'];
  metrics: ModelVersionDoc['metrics'];
  headline: HeadlineMetric[];
  run_id: string;
  dataset_version: string;
  created_at: string;
  label: string | null;
  source: 'trained' | 'imported';
  decision: Pick<DecisionDoc, 'promote' | 'reasons' | 'candidate_metric' | 'production_metric' | 'production_version'> | null;
}

export async function listRuns(ctx: Context, model?: string): Promise<RunView[]> {
  const runs = await storeOf(ctx).runs.list({ model });
  return runs.map(runView);
}

export async function getRun(ctx: Context, id: string): Promise<RunDoc> {
  const run = await storeOf(ctx).runs.get(id);
  if (!run) throw new MloopError('not_found', `there is no run ${id}`);
  return run;
}

export function runView(run: RunDoc): RunView {
  return {
    id: run.id,
    model: run.model,
    model_version: run.model_version,
    dataset_version: run.dataset_version,
    status: run.status,
    attempt: run.attempt,
    reason: run.reason,
    progress: run.progress ?? null,
    training_end: run.training_end ?? null,
    holdout: run.holdout ?? null,
    metrics: run.metrics ?? null,
    headline: headlineMetrics(run.metrics),
    promoted: run.promoted ?? null,
    superseded_decisions: run.superseded_decisions ?? [],
    error: run.error ?? null,
    created_at: run.created_at,
    finished_at: run.finished_at ?? null,
    duration_seconds: run.duration_seconds ?? null,
    backend: run.backend ?? null,
    resources: run.resources ?? null,
    cost_usd: run.cost_estimate?.usd ?? null,
    algorithm: run.plan?.algorithm ?? run.training?.algorithm ?? null,
    tags: run.tags ?? {},
    cancelled_by: run.cancelled_by ?? null,
    cancel_reason: run.cancel_reason ?? null,
    source: run.source ?? 'trained',
    selection: run.selection ?? null,
  };
}

export async function listModels(ctx: Context, model?: string): Promise<ModelView[]> {
  const store = storeOf(ctx);
  const [versions, decisions] = await Promise.all([store.versions.list(model ? { model } : {}), store.decisions.list()]);
  const byId = new Map(decisions.map((decision) => [decision.id, decision]));
  return versions.map((data) => {
    const decision = byId.get(data.decision_id);
    return {
      model: data.model,
      version: data.version,
      stage: data.stage,
      metrics: data.metrics,
      headline: headlineMetrics(data.metrics),
      run_id: data.run_id,
      dataset_version: data.dataset_version,
      created_at: data.created_at,
      label: data.label ?? null,
      source: data.source ?? 'trained',
      decision: decision
        ? {
            promote: decision.promote,
            reasons: decision.reasons,
            candidate_metric: decision.candidate_metric,
            production_metric: decision.production_metric,
            production_version: decision.production_version,
          }
        : null,
    };
  });
}

export async function listDatasets(ctx: Context): Promise<DatasetDoc[]> {
  return storeOf(ctx).datasets.list();
}
