import type { Curves } from '../../../shared/ml/evaluate';
import type { Metrics } from '../../../shared/core/events';
import { imageUrl } from '../api';
import { fixed, h, table } from '../dom';

/**
 * An image classifier's evaluation on the run page: each class's precision, recall and F1, the
 * confusion matrix as a heat map (each cell shaded by its share of the actual class's images, so a
 * small class's errors show as well as a large one's), top-k accuracy, and the most confident mistakes
 * as thumbnails with their true and predicted class.
 */
export function classReport(runId: string, curves: Curves, metrics: Metrics | null | undefined): HTMLElement | null {
  if (!curves.per_class) return null;
  return h('section', { id: 'classes' },
    h('h2', {}, 'Classes'),
    topK(metrics),
    h('div', { class: 'charts' },
      h('figure', { id: 'per-class' }, h('figcaption', {}, 'Per class (test split)'),
        table(['class', 'precision', 'recall', 'F1', 'images'], curves.per_class.map((c) => [h('strong', {}, c.class), fixed(c.precision), fixed(c.recall), fixed(c.f1), c.support]))),
      curves.confusion ? heatMap(curves.confusion) : null,
    ),
    misclassified(runId, curves.misclassified ?? []),
  );
}

function topK(metrics: Metrics | null | undefined): HTMLElement | null {
  if (!metrics) return null;
  const ks = Object.keys(metrics).map((name) => /^top_(\d+)_accuracy$/.exec(name)).filter((m) => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
  return table(['top-1 accuracy', ...ks.map((k) => `top-${k} accuracy`)], [[fixed(metrics.accuracy), ...ks.map((k) => fixed(metrics[`top_${k}_accuracy`]))]]);
}

function heatMap({ labels, matrix }: NonNullable<Curves['confusion']>): HTMLElement {
  const cell = (count: number, total: number, diagonal: boolean) => {
    const share = total > 0 ? count / total : 0;
    const hue = diagonal ? '4, 120, 87' : '185, 28, 28';
    const style = `background: rgba(${hue}, ${(0.08 + 0.8 * share).toFixed(2)}); color: ${share > 0.55 ? '#fff' : 'inherit'}; text-align: right`;
    return h('td', { style, title: `${(share * 100).toFixed(1)} % of the actual class` }, count);
  };
  return h('figure', { id: 'confusion' },
    h('figcaption', {}, 'Confusion matrix (rows: actual, columns: predicted)'),
    h('table', { class: 'heat' },
      h('thead', {}, h('tr', {}, h('th', {}, 'actual ↓ predicted →'), labels.map((name) => h('th', { scope: 'col' }, name)))),
      h('tbody', {}, matrix.map((row, i) => {
        const total = row.reduce((a, b) => a + b, 0);
        return h('tr', {}, h('th', { scope: 'row' }, labels[i]), row.map((count, j) => cell(count, total, i === j)));
      })),
    ),
  );
}

function misclassified(runId: string, list: NonNullable<Curves['misclassified']>): HTMLElement {
  if (!list.length) return h('p', { class: 'muted' }, 'No misclassified test images.');
  return h('figure', { id: 'misclassified' },
    h('figcaption', {}, `Misclassified test images, the most confident first (${list.length})`),
    h('div', { class: 'thumbs' }, list.map((wrong, index) => {
      const img = h('img', { width: 64, height: 64, alt: `${wrong.label} predicted as ${wrong.predicted}` }) as HTMLImageElement;
      img.addEventListener('load', () => URL.revokeObjectURL(img.src), { once: true });
      imageUrl(`/runs/${encodeURIComponent(runId)}/misclassified/${index}`).then(
        (url) => (img.src = url),
        (err: Error) => img.replaceWith(h('span', { class: 'error' }, err.message)),
      );
      return h('figure', { class: 'thumb' }, img,
        h('figcaption', {}, h('span', {}, 'true ', h('strong', {}, wrong.label)), h('span', {}, 'predicted ', h('strong', { class: 'bad' }, wrong.predicted)), h('span', { class: 'muted' }, fixed(wrong.confidence, 2))));
    })),
  );
}
