import { seededRandom } from '../../../shared/data/random';
import { logLoss, prAuc, rocAuc } from '../../../shared/ml/metrics';
import { evaluateMulticlass } from '../../../shared/ml/multiclass_metrics';
import { evaluateRegression } from '../../../shared/ml/regression_metrics';
import { weightedMeasure } from '../../../shared/ml/weighted_metrics';

/** Rows drawn with replacement, as a bootstrap does: the counts as weights, and the rows repeated. */
function draw(n: number, seed: number) {
  const random = seededRandom(seed);
  const counts = new Float64Array(n);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = random.int(n);
    counts[j]++;
    rows.push(j);
  }
  return { counts, rows };
}

describe('weightedMeasure', () => {
  const random = seededRandom(4);
  const n = 400;
  const y = Float64Array.from({ length: n }, () => (random.next() < 0.3 ? 1 : 0));
  // rounded, so that tied scores are exercised
  const scores = Float64Array.from(y, (v) => Math.round((1 / (1 + Math.exp(-(v * 1.2 + random.normal())))) * 20) / 20);

  it('binary: with every weight 1, the AUC, average precision and log loss of metrics.ts', () => {
    const m = weightedMeasure('binary', y, scores)(new Float64Array(n).fill(1));
    expect(m.auc).toBeCloseTo(rocAuc(y, scores), 12);
    expect(m.pr_auc).toBeCloseTo(prAuc(y, scores), 12);
    expect(m.logloss).toBeCloseTo(logLoss(y, scores), 12);
  });

  it('binary: counts as weights measure the rows they repeat', () => {
    const { counts, rows } = draw(n, 9);
    const ys = Float64Array.from(rows, (j) => y[j]);
    const ss = Float64Array.from(rows, (j) => scores[j]);
    const m = weightedMeasure('binary', y, scores)(counts);
    expect(m.auc).toBeCloseTo(rocAuc(ys, ss), 12);
    expect(m.pr_auc).toBeCloseTo(prAuc(ys, ss), 12);
    expect(m.logloss).toBeCloseTo(logLoss(ys, ss), 12);
  });

  it('multiclass and regression: counts as weights measure the rows they repeat', () => {
    const K = 3;
    const labels = Float64Array.from({ length: n }, () => random.int(K));
    const probabilities = new Float64Array(n * K);
    for (let i = 0; i < n; i++) {
      const raw = [0, 1, 2].map((k) => Math.exp((k === labels[i] ? 1 : 0) + random.normal()));
      const total = raw[0] + raw[1] + raw[2];
      raw.forEach((v, k) => (probabilities[i * K + k] = v / total));
    }
    const { counts, rows } = draw(n, 11);
    const ys = Float64Array.from(rows, (j) => labels[j]);
    const ps = new Float64Array(rows.length * K);
    rows.forEach((j, i) => ps.set(probabilities.subarray(j * K, (j + 1) * K), i * K));
    const m = weightedMeasure('multiclass', labels, probabilities, K)(counts);
    const expected = evaluateMulticlass(ys, ps, K);
    for (const name of ['accuracy', 'macro_f1', 'macro_auc', 'logloss'] as const) expect(m[name]).toBeCloseTo(expected[name], 12);

    const target = Float64Array.from({ length: n }, () => 10 * random.normal());
    const predicted = Float64Array.from(target, (t) => t + random.normal());
    const r = weightedMeasure('regression', target, predicted)(counts);
    const re = evaluateRegression(Float64Array.from(rows, (j) => target[j]), Float64Array.from(rows, (j) => predicted[j]));
    expect(r.rmse).toBeCloseTo(re.rmse, 10);
    expect(r.mae).toBeCloseTo(re.mae, 10);
  });
});
