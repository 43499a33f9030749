/** A tiny element builder: the dashboard renders whole views from data, no framework needed. */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

export function h(tag: string, attrs: Attrs = {}, ...children: Array<Child | Child[]>): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Array<Child | Child[]>): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function table(headers: string[], rows: Child[][]): HTMLElement {
  return h('table', {}, h('thead', {}, h('tr', {}, headers.map((name) => h('th', {}, name)))), h('tbody', {}, rows.map((row) => h('tr', {}, row.map((cell) => h('td', {}, cell))))));
}

export const fixed = (value: number | null | undefined, digits = 4) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–');

// Ratios, errors and losses: a whole value (an AUC of 1, a recall of 0) still reads as the score it is.
const SCORE = /(auc|accuracy|precision|recall|f1|r2|rmse|mae|loss|threshold|score|silhouette|share|rate|delta|difference)$/;

/**
 * A metric as people read it: a count (rows, positives, tp, support, …) as the integer it is, a score
 * with `digits` decimals; as the CLI prints it (cli/output.ts metricText: the page imports no server code).
 */
export function metricText(name: string, value: number | null | undefined, digits = 4): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  return Number.isInteger(value) && !SCORE.test(name) ? String(value) : value.toFixed(digits);
}

/** A listing's headline metrics (the API picks them: AUC, or accuracy and macro-F1 for images). */
export const headline = (metrics: ReadonlyArray<{ name: string; value: number | null }>) =>
  metrics.length ? metrics.map((m) => `${m.name} ${fixed(m.value)}`).join(', ') : '–';

export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) (n /= 1000), i++;
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}
