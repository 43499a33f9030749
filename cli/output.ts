/** Plain-text tables for people; `--json` output bypasses this entirely. */
export type Paint = (padded: string, header: string) => string;

/** `paint` colours a body cell after it is padded, so that escape codes do not count in the widths. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>, paint?: Paint): string {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: string[], colour?: Paint) =>
    row.map((cell, i) => (colour ? colour(cell.padEnd(widths[i]), headers[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map((row) => line(row, paint))].join('\n');
}

export const fixed = (value: number | null | undefined, digits = 4) =>
  typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '-';

// Ratios, errors and losses: a whole value (an AUC of 1, a recall of 0) still reads as the score it is.
const SCORE = /(auc|accuracy|precision|recall|f1|r2|rmse|mae|loss|threshold|score|silhouette|share|rate|delta|difference)$/;

/**
 * A metric as people read it: a count (rows, positives, tp, support, …) as the integer it is, a score
 * with `digits` decimals. The dashboard formats the same way (dashboard/src/dom.ts).
 */
export function metricText(name: string, value: number | null | undefined, digits = 4): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '-';
  return Number.isInteger(value) && !SCORE.test(name) ? String(value) : value.toFixed(digits);
}

/** `name value, name value`, each by metricText. */
export const metricsText = (metrics: Readonly<Record<string, number | null>>) =>
  Object.entries(metrics).map(([name, value]) => `${name} ${metricText(name, value)}`).join(', ');

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}
