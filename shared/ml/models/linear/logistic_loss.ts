import { gradientOf, margins, type LossData } from './column_passes';
import type { Smooth } from './owlqn';

/**
 * The mean log-loss of a linear model on standardised columns, and its gradient, plus the L2 part of the
 * penalty (the L1 part is the optimiser's). Parameters are laid out per class: K blocks of width
 * coefficients then the intercept; binary has one block (the positive class's logit), multinomial one
 * per class (softmax).
 */
export type { LossData } from './column_passes';

/** log(1 + e^m) without overflow. */
export const softplus = (m: number) => (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m)));

/** f(x) = mean log-loss + l2/2 |w|², the intercepts unpenalised. */
export function logisticObjective(data: LossData, l2: number): Smooth {
  const { y, n, width, blocks } = data;
  const M = new Float64Array(blocks * n);
  return (x, gradient) => {
    margins(data, x, M);
    let loss = 0;
    if (blocks === 1) {
      for (let i = 0; i < n; i++) {
        const m = M[i];
        loss += softplus(m) - y[i] * m;
        // M becomes the residual σ(m) − y
        M[i] = (m >= 0 ? 1 / (1 + Math.exp(-m)) : Math.exp(m) / (1 + Math.exp(m))) - y[i];
      }
    } else {
      for (let i = 0; i < n; i++) {
        let max = -Infinity;
        for (let k = 0; k < blocks; k++) max = Math.max(max, M[k * n + i]);
        let sum = 0;
        for (let k = 0; k < blocks; k++) sum += Math.exp(M[k * n + i] - max);
        const label = y[i];
        loss += max + Math.log(sum) - M[label * n + i];
        for (let k = 0; k < blocks; k++) M[k * n + i] = Math.exp(M[k * n + i] - max) / sum - (k === label ? 1 : 0);
      }
    }
    let ww = 0;
    for (let k = 0; k < blocks; k++) for (let j = 0; j < width; j++) ww += x[k * (width + 1) + j] ** 2;
    gradientOf(data, x, M, l2, gradient);
    return loss / n + 0.5 * l2 * ww;
  };
}
