import { errorMessage, isPermanent } from '../../core/errors';
import { TOPICS, type DriftDetected, type MonitoringTick } from '../../core/events';
import { compareToReference } from '../../monitoring/drift';
import { assessPerformance } from '../../monitoring/performance';
import type { Context } from '../context';
import { storeOf } from '../store';
import { reportId, writeDriftReport } from '../monitoring/drift_report_store';
import { labelsSince } from './feedback';
import type { DriftReportDoc } from '../store/monitoring_documents';
import { monitoringSettings } from '../monitoring/monitoring_settings';
import { scanWindow } from '../monitoring/prediction_window';
import { reconcileRuns, type ReconcileResult } from './reconcile_runs';
import { readReference } from '../artifacts/reference_file';

export type MonitorOutcome = { model: string; outcome: 'skipped'; reason: string } | { model: string; outcome: 'reported'; report: DriftReportDoc };

/**
 * onMonitoringTick: the scheduled pass. It moves stuck runs on (the reconcile the local stack also runs
 * on its own timer), then reports on every served model. A tick that names its time reports for that
 * time, so a redelivered tick finds its reports and only re-announces them.
 */
export async function runMonitoringTick(ctx: Context, tick: MonitoringTick): Promise<{ reconcile: ReconcileResult; models: MonitorOutcome[] }> {
  const reconcile = await reconcileRuns(ctx);
  const at = tick.requested_at ? new Date(tick.requested_at) : ctx.platform.clock.now();
  const served = tick.model
    ? [tick.model]
    : (await storeOf(ctx).models.list()).filter((m) => m.production_version).map((m) => m.name);
  const models: MonitorOutcome[] = [];
  let transient: unknown = null;
  for (const model of served) {
    try {
      models.push(await monitorModel(ctx, model, at, tick.tick_id ?? null));
    } catch (err) {
      // One model's broken profile must not hide the others' drift; a transient failure retries the tick.
      if (!isPermanent(err)) transient = err;
      models.push({ model, outcome: 'skipped', reason: errorMessage(err) });
      ctx.log.error({ model, err: errorMessage(err) }, 'monitoring failed for this model');
    }
  }
  if (transient) throw transient;
  return { reconcile, models };
}

export async function monitorModel(ctx: Context, model: string, at: Date, tickId: string | null): Promise<MonitorOutcome> {
  const store = storeOf(ctx);
  const version = await store.models.productionVersion(model);
  if (!version) return { model, outcome: 'skipped', reason: `${model} has no production version` };
  const existing = await store.driftReports.get(reportId(model, at));
  if (existing) {
    await announce(ctx, existing);
    return { model, outcome: 'reported', report: existing };
  }
  const reference = await readReference(ctx, model, version);
  if (!reference) return { model, outcome: 'skipped', reason: `${model} ${version} has no reference.json (trained before monitoring)` };
  const settings = await monitoringSettings(ctx, model, version);
  const window = { from: new Date(at.getTime() - settings.window_hours * 3_600_000), to: at };
  const labels = await labelsSince(ctx, window.from);
  const scan = await scanWindow(ctx, model, window, reference.features, version, labels, reference.prediction_fields);
  const rows = scan.current.rows;
  const enough = rows >= settings.min_rows;
  const result = enough ? compareToReference(reference, scan.current, settings) : null;
  const testAuc = (await store.versions.get(model, version))?.metrics?.auc;
  const performance = enough ? assessPerformance(scan.labelled.labels, scan.labelled.scores, typeof testAuc === 'number' ? testAuc : null, settings) : null;
  const event = result?.dataset_drift ? 'drift' : performance?.degraded ? 'performance' : null;
  const report = await writeDriftReport(ctx, {
    model,
    version,
    at,
    window,
    rows,
    minRows: settings.min_rows,
    driftShare: settings.drift_share,
    result,
    performance,
    event,
    tickId,
  });
  ctx.log.info(
    { model, version, report_id: report.id, rows, status: report.status, share: report.share, drifted: report.drifted, event },
    enough ? 'drift report written' : 'drift report: not enough data',
  );
  await announce(ctx, report);
  return { model, outcome: 'reported', report };
}

async function announce(ctx: Context, report: DriftReportDoc): Promise<void> {
  if (!report.event) return;
  const message: DriftDetected = { model: report.model, report_id: report.id, reason: report.event, detected_at: report.created_at };
  await ctx.platform.bus.publish(TOPICS.driftDetected, message, { attributes: { model: report.model }, orderingKey: report.model });
}
