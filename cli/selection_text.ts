import type { Selection } from '../shared/ml/selection';
import { fixed, table } from './output';

/** What `auto` tried, as `mloop runs <id>` prints it: one line per candidate, the winner marked, then the blend. */
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
  return `  auto chose ${selection.winner} by ${by} (${direction}), budget ${selection.budget_seconds} s:\n${body.replace(/^/gm, '    ')}\n${blendText(selection)}`;
}

/** The blend's line: its members and score against the best candidate alone on the same rows, and whether it was served. */
export function blendText(selection: Selection): string {
  const { blend } = selection;
  if (!blend) return '';
  const members = blend.members.map((m) => `${m.family} ${m.weight.toFixed(2)}`).join(' + ');
  const verdict = blend.kept ? 'served' : `not kept: ${blend.single.family} alone was as good`;
  return `  blend ${members}: ${selection.metric} ${fixed(blend.value)} against ${blend.single.family} alone ${fixed(blend.single.value)} on the ${blend.measured} (${verdict})\n`;
}
