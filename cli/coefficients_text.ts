import type { Manifest } from '../shared/ml/manifest';
import { table } from './output';

type Coefficients = NonNullable<Manifest['trainer']['coefficients']>;

/**
 * A linear model's coefficients for a terminal: the intercept, then the columns with the largest weight
 * first (a one-hot column as feature = category), one column of weights per output, and the Platt
 * calibration when the score is calibrated. Weights are on the raw encoded columns.
 */
export function coefficientsText(c: Coefficients, limit = 20, indent = '  '): string {
  const name = (col: Coefficients['columns'][number]) => (col.category === undefined ? col.feature : `${col.feature} = ${col.category}`);
  const largest = (col: Coefficients['columns'][number]) => Math.max(...col.weights.map(Math.abs));
  const ranked = [...c.columns].sort((a, b) => largest(b) - largest(a));
  const shown = ranked.slice(0, limit);
  const rows = [['(intercept)', ...c.intercept.map(format)], ...shown.map((col) => [name(col), ...col.weights.map(format)])];
  const lines = [
    `coefficients (raw encoded columns${ranked.length > limit ? `, ${limit} largest of ${ranked.length}` : ''}):`,
    ...table(['column', ...c.outputs], rows).split('\n').map((l) => indent + l),
    ...(c.calibration ? [`Platt calibration on validation: ${c.calibration.map((p, k) => `${c.outputs[k]} a ${format(p.a)} b ${format(p.b)}`).join(', ')}`] : []),
  ];
  return lines.map((l) => indent + l).join('\n') + '\n';
}

const format = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toPrecision(4));
