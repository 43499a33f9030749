import type { DriftResult, FeatureDrift } from './drift';
import type { EstimatedPerformance } from './estimated_performance';

/**
 * The drift report a person opens: the verdict, a table of every feature's test, and per feature the
 * reference and current distributions side by side as inline SVG bars over the same bins. One file, no
 * scripts or external assets, so it can be mailed or opened straight from the bucket.
 */
export interface ReportHeader {
  title: string;
  subtitle: string;
  /** Set when the window held too few rows to decide. */
  notEnoughData?: string;
  performance?: string;
  /** Performance estimated from the calibrated scores, before labels. */
  estimated?: EstimatedPerformance | null;
  /** The window against the previous one (drift), beside the window against the training reference (skew). */
  windowDrift?: { previous_window: { from: string; to: string }; previous_rows: number; min_rows: number; result: DriftResult | null } | null;
  alarms?: string[];
}

export function renderDriftHtml(header: ReportHeader, result: DriftResult | null): string {
  const body = result ? resultHtml(result) : '';
  const verdict = header.notEnoughData
    ? `<p class="verdict none">Not enough data: ${esc(header.notEnoughData)}. Nothing was decided.</p>`
    : result
      ? `<p class="verdict ${result.dataset_drift ? 'drift' : 'ok'}">${result.dataset_drift ? 'Dataset drift' : 'No dataset drift'}: ${esc(counted(result))}. This is skew: the window against the training reference.</p>` +
        windowDriftHtml(header.windowDrift ?? null) +
        estimatedHtml(header.estimated ?? null) +
        (header.alarms?.length ? `<p>Alarms: ${header.alarms.map(esc).join(', ')}</p>` : '')
      : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(header.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:72rem;color:#222}table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .7rem;border-bottom:1px solid #ddd;text-align:left}
.verdict{font-size:1.1rem;padding:.6rem 1rem;border-radius:4px}.drift{background:#fde2e1}.ok{background:#e3f5e1}.none{background:#eee}
.feature{margin:1.5rem 0;padding-top:.5rem;border-top:1px solid #ccc}.yes{color:#b91c1c;font-weight:600}.issues{color:#92400e}
.charts{display:flex;gap:1.5rem;flex-wrap:wrap}</style></head>
<body><h1>${esc(header.title)}</h1><p>${esc(header.subtitle)}</p>${verdict}${header.performance ? `<p>${esc(header.performance)}</p>` : ''}${body}</body></html>`;
}

/** Drift, apart from skew: what moved since the previous window, with its own share and thresholds. */
function windowDriftHtml(drift: NonNullable<ReportHeader['windowDrift']> | null): string {
  if (!drift) return '';
  const when = `the previous window (${esc(drift.previous_window.from)} to ${esc(drift.previous_window.to)}, ${drift.previous_rows} logged predictions)`;
  if (!drift.result) return `<p class="verdict none">Drift (the window against ${when}): not judged, each window needs ${drift.min_rows} logged predictions.</p>`;
  const r = drift.result;
  const moved = r.features.filter((f) => f.drifted).map((f) => `${f.name} (${f.test} ${num(f.statistic)}, threshold ${num(f.threshold)})`);
  return `<p class="verdict ${r.dataset_drift ? 'drift' : 'ok'}">Drift (the window against ${when}): ${r.dataset_drift ? 'dataset drift' : 'no dataset drift'}, ${esc(counted(r))}${moved.length ? `: ${esc(moved.join(', '))}` : ''}.</p>`;
}

function estimatedHtml(estimated: EstimatedPerformance | null): string {
  if (!estimated) return '';
  const realised = estimated.realised
    ? ` Realised once ${estimated.realised.labelled} labels came back (${esc(estimated.realised.recorded_at)}): ROC AUC ${num(estimated.realised.auc)}, accuracy ${num(estimated.realised.accuracy)}${estimated.realised.degraded ? ', degraded' : ''}.`
    : '';
  return `<p class="verdict ${estimated.degraded ? 'drift' : 'ok'}">Performance before labels: ${esc(estimated.summary)}.${realised}</p>`;
}

function countMonitored(result: DriftResult): number {
  return result.features.filter((f) => !f.ignored && f.test !== null).length;
}

/** How many features drifted, per group when the profile has groups (each judged against the threshold alone). */
function counted(result: DriftResult): string {
  if (!result.groups) return `${result.drifted.length} of ${countMonitored(result)} features drifted (share ${result.share.toFixed(2)}, threshold ${result.drift_share})`;
  const groups = result.groups.map((g) => `${g.name} ${g.drifted.length} of ${g.monitored} drifted (share ${g.share.toFixed(2)})`);
  return `${groups.join(', ')}; threshold ${result.drift_share} per group`;
}

function resultHtml(result: DriftResult): string {
  const rows = [...result.features, ...(result.prediction ? [{ ...result.prediction, name: 'prediction (score)' }] : [])];
  const table = `<table><tr><th>feature</th><th>kind</th><th>test</th><th>statistic</th><th>p-value</th><th>threshold</th><th>drifted</th><th>PSI</th><th>data quality</th></tr>${rows
    .map(
      (f) =>
        `<tr><td>${esc(f.name)}${f.ignored ? ' (ignored)' : ''}</td><td>${f.kind}</td><td>${f.test ?? '-'}</td><td>${num(f.statistic)}</td><td>${num(f.p_value)}</td><td>${num(f.threshold)}</td><td class="${f.drifted ? 'yes' : ''}">${f.test === null ? '-' : f.drifted ? 'yes' : 'no'}</td><td>${num(f.psi)}</td><td class="issues">${esc(f.quality.issues.join('; '))}</td></tr>`,
    )
    .join('')}</table>`;
  return table + rows.map(featureSection).join('');
}

function featureSection(f: FeatureDrift): string {
  const note = f.note ? `<p>${esc(f.note)}</p>` : '';
  return `<section class="feature"><h2>${esc(f.name)} <small>${f.kind}${f.test ? ` · ${f.test} ${num(f.statistic)}` : ''}${f.drifted ? ' · <span class="yes">drifted</span>' : ''}</small></h2>${note}
<p>reference: ${f.reference_count} values · current: ${f.current_count} values</p>
<div class="charts">${charts(f.histogram)}</div></section>`;
}

const WIDTH = 420;
const ROW = 16;

/** Both sides on one scale, so that equal bars mean equal shares; bins empty on both sides are left out. */
function charts(histogram: FeatureDrift['histogram']): string {
  const kept = histogram.labels.flatMap((label, i) => (histogram.reference[i] > 0 || histogram.current[i] > 0 ? [i] : []));
  const pick = <T>(values: T[]) => kept.map((i) => values[i]);
  const max = Math.max(...histogram.reference, ...histogram.current, 1e-9);
  const labels = pick(histogram.labels);
  return bars('reference', labels, pick(histogram.reference), max, '#2563eb') + bars('current', labels, pick(histogram.current), max, '#dc2626');
}

/** Horizontal bars: one row per bin, so long category names stay readable. */
function bars(title: string, labels: string[], shares: number[], max: number, color: string): string {
  const labelWidth = 140;
  const barWidth = WIDTH - labelWidth - 60;
  const height = 24 + labels.length * ROW;
  const rows = labels
    .map((label, i) => {
      const y = 20 + i * ROW;
      const w = (shares[i] / max) * barWidth;
      return `<text x="${labelWidth - 6}" y="${y + 11}" text-anchor="end" font-size="11">${esc(truncate(label))}</text><rect x="${labelWidth}" y="${y + 2}" width="${w.toFixed(1)}" height="${ROW - 4}" fill="${color}"/><text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + 11}" font-size="10" fill="#555">${(100 * shares[i]).toFixed(1)}%</text>`;
    })
    .join('');
  return `<svg width="${WIDTH}" height="${height}" role="img" aria-label="${esc(title)} distribution"><text x="${labelWidth}" y="13" font-weight="600" fill="${color}">${title}</text>${rows}</svg>`;
}

const truncate = (text: string) => (text.length > 22 ? `${text.slice(0, 21)}…` : text);

function num(value: number | null): string {
  if (value === null) return '-';
  if (value === 0) return '0';
  return Math.abs(value) >= 0.001 && Math.abs(value) < 1e6 ? value.toFixed(4) : value.toExponential(2);
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
