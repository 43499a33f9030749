import { gradientOf, margins, type LossData } from '../linear/column_passes';
import type { Smooth } from '../linear/owlqn';

/**
 * The primal of the squared-hinge SVM, what scikit-learn's LinearSVC solves when it picks `dual=False`:
 * ½|w̃|² + C Σ max(0, 1 − yᵢ mᵢ)², here divided by C·n (the same minimiser, a mean loss of the usual
 * size). w̃ includes the bias, as liblinear penalises it. Differentiable, so L-BFGS solves it; one block
 * per one-vs-rest class, the blocks independent.
 */
export function squaredHingeObjective(data: LossData, C: number, binary: boolean): Smooth {
  const { y, n, width, blocks } = data;
  const M = new Float64Array(blocks * n);
  const l2 = 1 / (C * n);
  return (x, gradient) => {
    margins(data, x, M);
    let loss = 0;
    for (let k = 0; k < blocks; k++) {
      for (let i = 0; i < n; i++) {
        const sign = (binary ? y[i] === 1 : y[i] === k) ? 1 : -1;
        const slack = 1 - sign * M[k * n + i];
        if (slack > 0) {
          loss += slack * slack;
          M[k * n + i] = -2 * sign * slack;
        } else M[k * n + i] = 0;
      }
    }
    gradientOf(data, x, M, l2, gradient);
    let ww = 0;
    for (let i = 0; i < x.length; i++) ww += x[i] * x[i];
    for (let k = 0; k < blocks; k++) gradient[k * (width + 1) + width] += l2 * x[k * (width + 1) + width];
    return loss / n + 0.5 * l2 * ww;
  };
}
