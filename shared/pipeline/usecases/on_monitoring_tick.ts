import { errorMessage, isPermanent } from '../../core/errors';
import { TOPICS, type DriftDetected, type MonitoringTick } from '../../core/events';
import { compareToReference } from '../../monitoring/drift';
import { estimatePerformance, type EstimatedPerformance } from '../../monitoring/estimated_performance';
import { estimateError } from '../../monitoring/estimated_error';
import { ErrorEstimator } from '../../ml/error_model';
import { assessError } from '../../monitoring/labelled_error';
import { assessPerformance } from '../../monitoring/performance';
import { family } from '../../ml/models/registry';
import type { Manifest } from '../../ml/manifest';
import { readManifest } from '../artifacts/model_files';
import { compareWithPreviousWindow } from '../monitoring/window_drift';
import type { Context } from '../context';
import { storeOf } from '../store';
import { reportId, writeDriftReport } from '../monitoring/drift_report_store';
import { labelsSince } from './feedback';
import type { DriftReportDoc } from '../store/monitoring_documents';
import { monitoringSettings } from '../monitoring/monitoring_settings';
import { scanWindow } from '../monitoring/prediction_window';
import { reconcileRuns, type ReconcileResult } from './reconcile_runs';
import { readReference } from '../artifacts/reference_file';
import { readErrorModel } from '../artifacts/error_model_file';

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
  const manifest = await readManifest(ctx, model, version).catch(() => null);
  // a regression's error model estimates each served row's |y − ŷ| as the log is read
  const errorModel = manifest?.task === 'regression' ? await readErrorModel(ctx, model, version) : null;
  const estimator = errorModel ? new ErrorEstimator(errorModel, manifest!.features) : null;
  const errors: number[] = [];
  const onServed = estimator ? (features: Record<string, unknown>, served: number) => void errors.push(estimator.estimate(features, served)) : undefined;
  const scan = await scanWindow(ctx, model, window, reference.features, version, labels, reference.prediction_fields, onServed);
  const rows = scan.current.rows;
  const enough = rows >= settings.min_rows;
  const result = enough ? compareToReference(reference, scan.current, settings) : null;
  const testMetrics = (await store.versions.get(model, version))?.metrics;
  const referenceAuc = typeof testMetrics?.auc === 'number' ? testMetrics.auc : null;
  const performance = enough && manifest?.task !== 'regression' ? assessPerformance(scan.labelled.labels, scan.labelled.scores, referenceAuc, settings, scan.labelled.unusable) : null;
  const referenceMae = typeof testMetrics?.mae === 'number' ? testMetrics.mae : null;
  const labelledError = enough && manifest?.task === 'regression' ? assessError(scan.valued.labels, scan.valued.values, referenceMae, settings) : null;
  const estimated = enough && scan.current.scores && servesProbabilities(manifest) ? estimatePerformance(scan.current.scores, manifest!.threshold!, referenceAuc, settings) : null;
  const estimatedError = enough && errorModel && errors.length > 0 ? estimateError(errors, errorModel.reference, settings) : null;
  const windowDrift = enough ? await compareWithPreviousWindow(ctx, model, version, window, reference, scan.current, settings) : null;
  // every alarm the report raises, skew (against training) and drift (against the previous window) apart
  const alarms: Alarm[] = [
    ...(result?.dataset_drift ? (['skew'] as const) : []),
    ...(windowDrift?.result?.dataset_drift ? (['drift'] as const) : []),
    ...(estimated?.degraded || estimatedError?.degraded ? (['estimated_performance'] as const) : []),
    ...(performance?.degraded || labelledError?.degraded ? (['performance'] as const) : []),
  ];
  // the event's reason: skew and drift both retrain as data drift did; a performance estimate is named as such
  const event = alarms.includes('skew') || alarms.includes('drift') ? 'drift' : alarms.includes('estimated_performance') ? 'estimated_performance' : alarms.includes('performance') ? 'performance' : null;
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
    labelledError,
    estimated,
    estimatedError,
    windowDrift,
    alarms,
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

type Alarm = NonNullable<DriftReportDoc['alarms']>[number];

/** Only a supervised binary model whose served score is a calibrated probability can be estimated from its scores. */
function servesProbabilities(manifest: Manifest | null): boolean {
  if (!manifest || manifest.task !== 'binary' || manifest.threshold === null) return false;
  const trained = family(manifest.algorithm);
  if (!trained.supervised) return false;
  return trained.selfCalibrated === true || (manifest.calibration !== undefined && manifest.calibration.method !== 'none');
}

/**
 * One drift-detected event for the report's reason, and one for an estimated performance drop beside
 * data drift, so that the estimate's alarm is heard even when drift raised the report's event. A
 * retraining answers one report once, however many events name it (on_drift_detected.ts).
 */
async function announce(ctx: Context, report: DriftReportDoc): Promise<void> {
  if (!report.event) return;
  const reasons = new Set<DriftDetected['reason']>([report.event]);
  if (report.alarms?.includes('estimated_performance')) reasons.add('estimated_performance');
  for (const reason of reasons) {
    const message: DriftDetected = { model: report.model, report_id: report.id, reason, detected_at: report.created_at };
    await ctx.platform.bus.publish(TOPICS.driftDetected, message, { attributes: { model: report.model }, orderingKey: report.model });
  }
}
