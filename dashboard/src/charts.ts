/**
 * Charts as inline SVG: lines (loss per iteration, ROC, PR) and paired bars (reference vs current
 * histograms, importance). A few hundred points at most, so no canvas or chart library is needed.
 */
const NS = 'http://www.w3.org/2000/svg';
const W = 360;
const H = 240;
const PAD = { left: 52, right: 10, top: 16, bottom: 30 };

export interface Series {
  name: string;
  colour: string;
  points: Array<[number, number]>;
  /** A label per point, drawn beside it (a model's versions). */
  labels?: string[];
}

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function text(x: number, y: number, content: string, anchor = 'middle'): SVGElement {
  const el = svg('text', { x, y, 'text-anchor': anchor });
  el.textContent = content;
  return el;
}

const tick = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toFixed(2));

/** Enough decimals to tell an axis's ticks apart (a loss from 0.011 to 0.020 is not "0.01, 0.02, 0.02"). */
export function axisTickText(v: number, span: number): string {
  if (!(span > 0) || !Number.isFinite(span)) return tick(v);
  if (span >= 20) return v.toFixed(0);
  return v.toFixed(Math.min(6, Math.max(0, Math.ceil(-Math.log10(span / 2))) + 1));
}

/** `12-02 16:59` over days, `16:59:47` within an hour: a time axis's ticks, in UTC. */
function timeTick(v: number, span: number): string {
  const iso = new Date(v).toISOString();
  return span > 86_400_000 ? iso.slice(5, 10) : span > 3_600_000 ? iso.slice(5, 16).replace('T', ' ') : iso.slice(11, 19);
}

/** Ticks at the ends and the middle; on a whole-number axis (epochs, iterations, versions) whole numbers only. */
export function axisTicks(lo: number, hi: number, integer = false): number[] {
  if (!integer) return [lo, (lo + hi) / 2, hi];
  const ticks = [Math.ceil(lo), Math.round((lo + hi) / 2), Math.floor(hi)];
  return ticks.filter((v, i) => v >= lo && v <= hi && ticks.indexOf(v) === i);
}

export interface Axes {
  x: string;
  y: string;
  /** Both axes from 0 to 1 (ROC, precision-recall). */
  unit?: boolean;
  /** x counts something (epochs, iterations): whole-number ticks. */
  integerX?: boolean;
  /** x is a time in ms since the epoch: ticks as dates. */
  timeX?: boolean;
}

/** A point drawn on its own, with its label (a promotion, a rollback). */
export interface Marker {
  x: number;
  y: number;
  label: string;
  colour: string;
  kind: string;
}

export function lineChart(title: string, series: Series[], axes: Axes, markers: Marker[] = []): HTMLElement {
  const all = [...series.flatMap((s) => s.points), ...markers.map((m): [number, number] => [m.x, m.y])].filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const [x0, x1] = axes.unit ? [0, 1] : [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = axes.unit ? [0, 1] : [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - PAD.top - PAD.bottom);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': title });
  root.appendChild(svg('rect', { x: PAD.left, y: PAD.top, width: W - PAD.left - PAD.right, height: H - PAD.top - PAD.bottom, fill: 'none', stroke: '#d1d5db' }));
  for (const v of [y0, (y0 + y1) / 2, y1]) root.appendChild(text(PAD.left - 4, sy(v) + 3, axisTickText(v, y1 - y0), 'end'));
  const xTick = (v: number) => (axes.timeX ? timeTick(v, x1 - x0) : axes.integerX ? v.toFixed(0) : axisTickText(v, x1 - x0));
  const xTicks = axisTicks(x0, x1, axes.integerX);
  for (const [i, v] of xTicks.entries()) {
    // a time's label is long: the first and last are kept inside the chart
    const anchor = axes.timeX && xTicks.length > 1 ? (i === 0 ? 'start' : i === xTicks.length - 1 ? 'end' : 'middle') : 'middle';
    const label = text(sx(v), H - PAD.bottom + 12, xTick(v), anchor);
    label.setAttribute('data-axis', 'x');
    root.appendChild(label);
  }
  root.appendChild(text((W + PAD.left) / 2, H - 4, axes.x));
  const yLabel = text(10, H / 2, axes.y);
  yLabel.setAttribute('transform', `rotate(-90 10 ${H / 2})`);
  root.appendChild(yLabel);
  series.forEach((s, i) => {
    const points = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const path = svg('polyline', { points: points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' '), fill: 'none', stroke: s.colour, 'stroke-width': 1.5 });
    path.setAttribute('data-series', s.name);
    path.setAttribute('data-points', String(points.length));
    root.appendChild(path);
    s.labels?.forEach((label, k) => {
      const [x, y] = s.points[k] ?? [NaN, NaN];
      if (Number.isFinite(x) && Number.isFinite(y)) root.appendChild(text(sx(x), sy(y) - 6, label));
    });
    const legend = text(W - PAD.right - 4, PAD.top + 12 + i * 12, s.name, 'end');
    legend.setAttribute('style', `fill:${s.colour}`);
    root.appendChild(legend);
  });
  for (const m of markers) {
    if (!Number.isFinite(m.x) || !Number.isFinite(m.y)) continue;
    const dot = svg('circle', { cx: sx(m.x).toFixed(1), cy: sy(m.y).toFixed(1), r: 4, fill: m.colour });
    dot.setAttribute('data-marker', m.kind);
    const tip = svg('title', {});
    tip.textContent = m.label;
    dot.appendChild(tip);
    root.appendChild(dot);
  }
  return figure(title, root);
}

export function pairedBars(title: string, labels: string[], a: { name: string; values: number[] }, b?: { name: string; values: number[] }): HTMLElement {
  const max = Math.max(...a.values, ...(b?.values ?? []), 1e-12);
  const rowH = 16;
  const labelW = 140;
  const barW = W - labelW - 50;
  const height = labels.length * rowH * (b ? 2 : 1) + 20;
  const root = svg('svg', { viewBox: `0 0 ${W} ${height}`, width: W, height, role: 'img', 'aria-label': title });
  labels.forEach((label, i) => {
    const y = i * rowH * (b ? 2 : 1);
    root.appendChild(text(labelW - 4, y + 11, label.length > 22 ? `${label.slice(0, 21)}…` : label, 'end'));
    [a, b].forEach((set, j) => {
      if (!set) return;
      const v = set.values[i] ?? 0;
      const bar = svg('rect', { x: labelW, y: y + j * rowH + 2, width: Math.max(0.5, (v / max) * barW), height: rowH - 4, fill: j ? '#f59e0b' : '#2563eb' });
      bar.setAttribute('data-series', set.name);
      root.appendChild(bar);
      root.appendChild(text(labelW + (v / max) * barW + 3, y + j * rowH + 12, tick(v), 'start'));
    });
  });
  const legend = text(W - 4, height - 4, b ? `blue: ${a.name}, orange: ${b.name}` : a.name, 'end');
  root.appendChild(legend);
  return figure(title, root);
}

function figure(title: string, chart: SVGElement): HTMLElement {
  const fig = document.createElement('figure');
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  fig.append(caption, chart);
  return fig;
}
