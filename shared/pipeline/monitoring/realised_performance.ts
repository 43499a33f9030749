import { errorMessage } from '../../core/errors';
import { accuracy, rocAuc } from '../../ml/metrics';
import type { RealisedPerformance } from '../../monitoring/estimated_performance';
import { maeLimit, type EstimatedError, type RealisedError } from '../../monitoring/estimated_error';
import type { Context } from '../context';
import { storeOf } from '../store';
import type { DriftReportDoc } from '../store/monitoring_documents';
import { errorOf } from '../../monitoring/labelled_error';
import { readReference } from '../artifacts/reference_file';
import { monitoringSettings } from './monitoring_settings';
import { scanWindow, type WindowScan } from './prediction_window';

/**
 * When labels come back, the metric they realise on a report's window is written beside the estimate
 * that report made before them: the dashboard plots both, and the estimate's error is there to read.
 * Only the newest reports with an estimate are looked at (RECENT per model), since each is a scan of its
 * window's prediction log.
 */
const RECENT = 10;

export async function realiseEstimates(ctx: Context, model?: string): Promise<number> {
  const store = storeOf(ctx);
  const models = model ? [model] : [...new Set((await store.monitoring.list()).map((m) => m.model))];
  let updated = 0;
  for (const name of models) {
    const reports = (await store.driftReports.list({ model: name })).filter((r) => r.estimated_performance || r.estimated_error).slice(-RECENT);
    if (reports.length === 0) continue;
    const labels = await store.feedback.labelsSince(new Date(reports[0].window.from));
    if (labels.size === 0) continue;
    for (const report of reports) {
      try {
        if (await realiseOne(ctx, report, labels)) updated++;
      } catch (err) {
        // a report whose version's files are gone cannot be realised; the others still can
        ctx.log.warn({ model: name, report_id: report.id, err: errorMessage(err) }, 'realised performance not recorded');
      }
    }
  }
  return updated;
}

async function realiseOne(ctx: Context, report: DriftReportDoc, labels: ReadonlyMap<string, number>): Promise<boolean> {
  const reference = await readReference(ctx, report.model, report.model_version);
  if (!reference) return false;
  const window = { from: new Date(report.window.from), to: new Date(report.window.to) };
  const scan = await scanWindow(ctx, report.model, window, reference.features, report.model_version, labels, reference.prediction_fields);
  if (report.estimated_error) return realiseError(ctx, report, report.estimated_error, scan.valued);
  const estimate = report.estimated_performance!;
  const n = scan.labelled.labels.length;
  if (n === 0 || n === estimate.realised?.labelled) return false;
  const settings = await monitoringSettings(ctx, report.model, report.model_version);
  const auc = rocAuc(scan.labelled.labels, scan.labelled.scores);
  const realised: RealisedPerformance = {
    labelled: n,
    auc: Number.isFinite(auc) ? auc : null,
    accuracy: accuracy(scan.labelled.labels, scan.labelled.scores, estimate.threshold),
    // the label-based alarm, judged as the tick judges it: enough labels, AUC below test AUC by more than auc_drop
    degraded: Number.isFinite(auc) && n >= settings.min_labels && estimate.reference_auc !== null && auc < estimate.reference_auc - settings.auc_drop,
    recorded_at: ctx.platform.clock.now().toISOString(),
  };
  await storeOf(ctx).driftReports.update(report.id, { estimated_performance: { ...estimate, realised } });
  return true;
}

/** A regression's realised MAE and RMSE on the window's labelled rows, beside the estimated MAE. */
async function realiseError(ctx: Context, report: DriftReportDoc, estimate: EstimatedError, valued: WindowScan['valued']): Promise<boolean> {
  const n = valued.labels.length;
  if (n === 0 || n === estimate.realised?.labelled) return false;
  const settings = await monitoringSettings(ctx, report.model, report.model_version);
  const { mae, rmse } = errorOf(valued.labels, valued.values);
  const realised: RealisedError = {
    labelled: n,
    mae,
    rmse,
    // the label-based alarm, judged as the tick judges it: enough labels, MAE above the test MAE by more than mae_rise
    degraded: n >= settings.min_labels && mae > maeLimit(estimate.reference_mae, settings.mae_rise),
    recorded_at: ctx.platform.clock.now().toISOString(),
  };
  await storeOf(ctx).driftReports.update(report.id, { estimated_error: { ...estimate, realised } });
  return true;
}
