import type { FeatureSummary, DriftReportDoc } from '../shared/pipeline/store/monitoring_documents';
import { fixed, table } from './output';

/** The drift table `mloop drift`, `mloop monitor`, `mloop drift compare` and the demo print. */
export function driftTable(features: FeatureSummary[]): string {
  return table(
    ['feature', 'kind', 'test', 'statistic', 'p-value', 'threshold', 'drifted', 'psi', 'data quality'],
    features.map((f) => [
      f.name + (f.ignored ? ' (ignored)' : ''),
      f.kind,
      f.test,
      statistic(f.statistic),
      f.p_value === null ? null : f.p_value < 1e-4 ? f.p_value.toExponential(1) : fixed(f.p_value),
      f.threshold,
      f.test === null ? null : f.drifted ? 'YES' : 'no',
      fixed(f.psi),
      f.issues.join('; ') || null,
    ]),
  );
}

const statistic = (value: number | null) => (value === null ? 'inf' : Math.abs(value) >= 1000 ? value.toExponential(2) : fixed(value));

function windowDriftText(drift: NonNullable<DriftReportDoc['window_drift']>): string {
  if (drift.status === 'not_enough_data') return `drift against the previous window: not judged (${drift.previous_rows} predictions in it, ${drift.min_rows} needed)`;
  return `drift against the previous window: ${drift.dataset_drift ? 'DRIFT' : 'no drift'}, ${drift.drifted.length} features moved (share ${fixed(drift.share, 2)}, threshold ${drift.drift_share})${drift.drifted.length ? `: ${drift.drifted.join(', ')}` : ''}`;
}

/** The estimate, and what the labels realised when they came back. */
export function estimatedText(estimate: NonNullable<DriftReportDoc['estimated_performance']>): string {
  const realised = estimate.realised
    ? `; realised once ${estimate.realised.labelled} labels came back: ROC AUC ${fixed(estimate.realised.auc)}, accuracy ${fixed(estimate.realised.accuracy)}${estimate.realised.degraded ? ' (degraded)' : ''}`
    : '';
  return `performance before labels: ${estimate.summary}${realised}`;
}

/** A regression's estimated MAE, and what the values fed back realised. */
export function estimatedErrorText(estimate: NonNullable<DriftReportDoc['estimated_error']>): string {
  const realised = estimate.realised
    ? `; realised once ${estimate.realised.labelled} values came back: MAE ${fixed(estimate.realised.mae)}, RMSE ${fixed(estimate.realised.rmse)}${estimate.realised.degraded ? ' (degraded)' : ''}`
    : '';
  return `error before labels: ${estimate.summary}${realised}`;
}

export function reportText(report: DriftReportDoc): string {
  const head = `${report.model} ${report.model_version}: report ${report.id}, ${report.rows} predictions from ${report.window.from} to ${report.window.to}`;
  if (report.status === 'not_enough_data') return `${head}\nnot enough data: at least ${report.min_rows} predictions are needed; nothing was decided\n`;
  const monitored = report.features.filter((f) => !f.ignored && f.test !== null).length;
  const groups = report.groups?.map((g) => `${g.name} ${g.drifted.length} of ${g.monitored} (share ${fixed(g.share, 2)})`).join(', ');
  const verdict = groups
    ? `${report.dataset_drift ? 'DATASET DRIFT' : 'no dataset drift'}: ${groups}; threshold ${report.drift_share} per group${report.drifted.length ? `: ${report.drifted.join(', ')}` : ''}`
    : report.dataset_drift
      ? `DATASET DRIFT: ${report.drifted.length} of ${monitored} features drifted (share ${fixed(report.share, 2)} ≥ ${report.drift_share}): ${report.drifted.join(', ')} (skew: against the training reference)`
      : `no dataset drift: ${report.drifted.length} of ${monitored} features drifted (share ${fixed(report.share, 2)} < ${report.drift_share}) (skew: against the training reference)`;
  const rows = report.prediction ? [...report.features, { ...report.prediction, name: 'prediction (score)' }] : report.features;
  const lines = [head, verdict, driftTable(rows)];
  if (report.window_drift) lines.push(windowDriftText(report.window_drift));
  if (report.estimated_performance) lines.push(estimatedText(report.estimated_performance));
  if (report.estimated_error) lines.push(estimatedErrorText(report.estimated_error));
  if (report.performance) lines.push(report.performance.summary);
  if (report.labelled_error) lines.push(report.labelled_error.summary);
  if (report.alarms?.length) lines.push(`alarms: ${report.alarms.join(', ')}`);
  if (report.event) lines.push(`drift-detected published (reason ${report.event}): retraining follows unless one ran within the cooldown`);
  lines.push(`report: ${report.files.html}`);
  return lines.join('\n') + '\n';
}
