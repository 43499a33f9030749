import type { RunComparison } from '../shared/pipeline/read_models/compare_runs';
import { metricText, table } from './output';
import { runProgressText } from './progress_text';

/**
 * `mloop runs compare` for people: warnings first (metrics on different holdouts are not comparable),
 * then the holdouts, the parameters that differ (all of them with `all`), the metrics with the better
 * value starred, and how each training ended.
 */
export function comparisonText(c: RunComparison, all = false): string {
  const ids = c.runs.map((r) => r.id);
  const out: string[] = [];
  out.push(`runs: ${c.runs.map((r) => `${r.id} (${r.model} ${r.model_version}, ${r.algorithm ?? 'unknown algorithm'}, ${r.status})`).join(', ')}`);
  for (const warning of c.warnings) out.push(`warning: ${warning}`);
  out.push('', 'holdout (the test split each was measured on)');
  out.push(table(['run', 'dataset', 'rows', 'seed', 'sample', 'time column', 'recorded'], c.runs.map((r) => {
    const h = r.holdout;
    return [r.id, h.dataset_version, h.rows, h.seed, h.sample ?? 'all', h.time_column ?? 'random split', h.recorded ? 'yes' : 'inferred'];
  })));
  const differing = c.params.filter((p) => p.differs);
  const shown = all ? c.params : differing;
  const equal = c.params.length - differing.length;
  out.push('', all ? 'parameters' : `parameters that differ${equal ? ` (${equal} equal not shown: --all)` : ''}`);
  out.push(shown.length ? table(['parameter', ...ids], shown.map((p) => [p.differs && all ? `${p.name} *` : p.name, ...p.values.map(paramText)])) : '(none differ)');
  out.push('', 'metrics on test (* better)');
  out.push(table(['metric', ...ids], c.metrics.map((m) => [m.name, ...m.values.map((v, i) => `${metricText(m.name, v)}${m.best.includes(i) ? ' *' : ''}`)])));
  out.push('', 'training');
  for (const r of c.runs) out.push(`${r.id}: ${runProgressText({ status: r.status, training_end: r.training_end }) ?? '-'}`);
  return out.join('\n') + '\n';
}

const paramText = (v: unknown) => (v === null ? '-' : typeof v === 'string' ? v : JSON.stringify(v));
