import type { Selection } from '../shared/ml/selection';
import { fixed, table } from './output';

/** What `auto` tried, as `mloop runs <id>` prints it: one line per candidate, the winner marked. */
export function selectionText(selection: Selection): string {
  const rows = selection.candidates.map((c) => [
    c.family === selection.winner && c.status === 'trained' ? `${c.family} *` : c.family,
    c.status,
    fixed(c.value),
    c.seconds.toFixed(1),
    c.best_iteration,
    c.reason ?? (c.params ? JSON.stringify(c.params) : null),
  ]);
  const direction = selection.higher_is_better ? 'higher is better' : 'lower is better';
  const body = table(['candidate', 'status', `val ${selection.metric}`, 'seconds', 'best iter', 'params / reason'], rows);
  return `  auto chose ${selection.winner} by validation ${selection.metric} (${direction}), budget ${selection.budget_seconds} s:\n${body.replace(/^/gm, '    ')}\n`;
}
