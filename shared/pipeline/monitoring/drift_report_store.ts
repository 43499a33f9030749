import type { DriftResult, FeatureDrift } from '../../monitoring/drift';
import type { EstimatedError } from '../../monitoring/estimated_error';
import type { EstimatedPerformance } from '../../monitoring/estimated_performance';
import type { LabelledError } from '../../monitoring/labelled_error';
import type { PerformanceResult } from '../../monitoring/performance';
import type { WindowDrift } from './window_drift';
import { renderDriftHtml } from '../../monitoring/drift_report_html';
import type { Context } from '../context';
import type { DriftReportDoc, FeatureSummary, MonitoringDoc, WindowDriftSummary } from '../store/monitoring_documents';
import { storeOf } from '../store';

/**
 * A tick's report, three ways: a document (the summary `mloop drift` prints), and in the artifacts
 * bucket `drift/<model>/<stamp>.json` (everything, histograms included) and `.html` (what people read).
 */
export const DRIFT_PREFIX = 'drift/';

/** Report ids and file names sort by time: 20261122T053258123Z. */
export const reportStamp = (at: Date) => at.toISOString().replace(/[-:.]/g, '');
export const reportId = (model: string, at: Date) => `${model}-${reportStamp(at)}`;

export function summarize(feature: FeatureDrift): FeatureSummary {
  return {
    name: feature.name,
    kind: feature.kind,
    test: feature.test,
    statistic: feature.statistic,
    p_value: feature.p_value,
    threshold: feature.threshold,
    drifted: feature.drifted,
    psi: feature.psi,
    ignored: feature.ignored,
    issues: feature.quality.issues,
  };
}

export function summarizeWindowDrift(drift: WindowDrift): WindowDriftSummary {
  const { result } = drift;
  return {
    previous_window: drift.previous_window,
    previous_rows: drift.previous_rows,
    min_rows: drift.min_rows,
    status: result ? 'ok' : 'not_enough_data',
    share: result ? result.share : null,
    drift_share: result?.drift_share ?? 0,
    dataset_drift: result?.dataset_drift ?? false,
    drifted: result?.drifted ?? [],
    features: result ? result.features.map(summarize) : [],
  };
}

export interface ReportInput {
  model: string;
  version: string;
  at: Date;
  window: { from: Date; to: Date };
  rows: number;
  minRows: number;
  driftShare: number;
  result: DriftResult | null;
  performance: PerformanceResult | null;
  labelledError?: LabelledError | null;
  estimated?: EstimatedPerformance | null;
  estimatedError?: EstimatedError | null;
  windowDrift?: WindowDrift | null;
  alarms?: DriftReportDoc['alarms'];
  event: DriftReportDoc['event'];
  tickId: string | null;
}

export async function writeDriftReport(ctx: Context, input: ReportInput): Promise<DriftReportDoc> {
  const { model, at, result } = input;
  const base = `${DRIFT_PREFIX}${model}/${reportStamp(at)}`;
  const doc: DriftReportDoc = {
    id: reportId(model, at),
    model,
    model_version: input.version,
    created_at: at.toISOString(),
    window: { from: input.window.from.toISOString(), to: input.window.to.toISOString() },
    status: result ? 'ok' : 'not_enough_data',
    rows: input.rows,
    min_rows: input.minRows,
    share: result ? result.share : null,
    drift_share: input.driftShare,
    ...(result?.groups ? { groups: result.groups } : {}),
    dataset_drift: result?.dataset_drift ?? false,
    drifted: result?.drifted ?? [],
    features: result ? result.features.map(summarize) : [],
    prediction: result?.prediction ? summarize(result.prediction) : null,
    performance: input.performance,
    ...(input.labelledError ? { labelled_error: input.labelledError } : {}),
    estimated_performance: input.estimated ?? null,
    ...(input.estimatedError ? { estimated_error: input.estimatedError } : {}),
    window_drift: input.windowDrift ? summarizeWindowDrift(input.windowDrift) : null,
    alarms: input.alarms ?? [],
    event: input.event,
    files: { json: `${ctx.config.artifactsBucket}/${base}.json`, html: `${ctx.config.artifactsBucket}/${base}.html` },
    tick_id: input.tickId,
  };
  const html = renderDriftHtml(
    {
      title: `Drift report: ${model} ${input.version}`,
      subtitle: `${input.rows} logged predictions from ${doc.window.from} to ${doc.window.to} against the training reference of ${input.version}`,
      notEnoughData: result ? undefined : `${input.rows} logged predictions in the window, at least ${input.minRows} needed`,
      performance: input.performance?.summary ?? input.labelledError?.summary,
      estimated: input.estimated ?? null,
      windowDrift: input.windowDrift ?? null,
      alarms: input.alarms ?? [],
    },
    result,
  );
  const { objects } = ctx.platform;
  // JSON has no Infinity or NaN: such statistics are written as null.
  const json = JSON.stringify({ report: doc, result, window_drift: input.windowDrift?.result ?? null }, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value));
  await objects.put(ctx.config.artifactsBucket, `${base}.json`, json, { contentType: 'application/json' });
  await objects.put(ctx.config.artifactsBucket, `${base}.html`, html, { contentType: 'text/html' });
  const store = storeOf(ctx);
  const stored = await store.driftReports.createOrGet(doc);
  await store.inTransaction(async (tx) => {
    const state = await tx.monitoring.get(model);
    // Ticks may finish out of order (a slow one, a redelivered one): the pointer only moves forward.
    if (state?.last_report && state.last_report.created_at >= stored.created_at) return;
    const next: MonitoringDoc = {
      model,
      last_retrain: state?.last_retrain ?? null,
      last_report: { id: stored.id, created_at: stored.created_at },
      updated_at: ctx.platform.clock.now().toISOString(),
    };
    tx.monitoring.put(next);
  });
  return stored;
}

/** The newest report of each model (or of one), by model name. */
export async function latestReports(ctx: Context, model?: string): Promise<DriftReportDoc[]> {
  const store = storeOf(ctx);
  const states = model ? [await store.monitoring.get(model)] : await store.monitoring.list();
  const reports = await Promise.all(
    states.flatMap((state) => (state?.last_report ? [store.driftReports.get(state.last_report.id)] : [])),
  );
  return reports.filter((r): r is DriftReportDoc => r !== null).sort((a, b) => (a.model < b.model ? -1 : 1));
}
