import type { Selection } from '../shared/ml/selection';
import { fixed, table } from './output';

/** What `auto` tried, as `mloop runs <id>` prints it: one line per candidate, the winner marked. */
export function selectionText(selection: Selection): string {
  const cv = selection.candidates.some((c) => c.folds);
  const rows = selection.candidates.map((c) => [
    c.family === selection.winner && c.status === 'trained' ? `${c.family} *` : c.family,
    c.status,
    fixed(c.value),
    ...(cv ? [c.folds ? c.folds.map((v) => fixed(v)).join(' ') : null] : []),
    c.seconds.toFixed(1),
    c.best_iteration,
    c.reason ?? (c.params ? JSON.stringify(c.params) : null),
  ]);
  const direction = selection.higher_is_better ? 'higher is better' : 'lower is better';
  const headers = ['candidate', 'status', cv ? selection.metric : `val ${selection.metric}`, ...(cv ? ['folds'] : []), 'seconds', 'best iter', 'params / reason'];
  const body = table(headers, rows);
  const by = selection.measured ? `${selection.metric} on the ${selection.measured}` : `validation ${selection.metric}`;
  return `  auto chose ${selection.winner} by ${by} (${direction}), budget ${selection.budget_seconds} s:\n${body.replace(/^/gm, '    ')}\n`;
}
