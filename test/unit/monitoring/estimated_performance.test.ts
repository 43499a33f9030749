import { seededRandom } from '../../../shared/data/random';
import { accuracy, rocAuc } from '../../../shared/ml/metrics';
import { estimatePerformance, expectedAuc } from '../../../shared/monitoring/estimated_performance';

/** Calibrated scores by construction: each label is drawn with the probability its score says. */
function calibratedWindow(n: number, seed: number, spread = 2) {
  const random = seededRandom(seed);
  const scores = Float64Array.from({ length: n }, () => 1 / (1 + Math.exp(-(spread * random.normal() - 2))));
  const labels = Array.from(scores, (p) => (random.next() < p ? 1 : 0));
  return { scores, labels };
}

describe('confidence-based performance estimation', () => {
  it('estimates the AUC and accuracy the labels then realise, within its interval', () => {
    let covered = 0;
    const trials = 10;
    for (let t = 0; t < trials; t++) {
      const { scores, labels } = calibratedWindow(2000, 10 + t);
      const estimate = estimatePerformance(scores, 0.5, 0.9, { estimated_auc_drop: 0.05 }, t);
      const realised = rocAuc(labels, scores);
      expect(Math.abs(estimate.auc! - realised)).toBeLessThan(0.03);
      expect(Math.abs(estimate.accuracy - accuracy(labels, scores, 0.5))).toBeLessThan(0.03);
      const [lo, hi] = estimate.auc_interval!;
      if (realised >= lo && realised <= hi) covered++;
    }
    // a 95 % interval: most of the ten windows' realised AUCs fall inside it
    expect(covered).toBeGreaterThanOrEqual(8);
  });

  it('is the area under expected TPR over expected FPR, as NannyML computes it', () => {
    // 0.2 and 0.8: expected positives 1, negatives 1; the 0.8 row above adds 0.2·0.4 (its own ties, half), the 0.2 row 0.8·(0.8 + 0.1)
    expect(expectedAuc(Float64Array.of(0.2, 0.8))!).toBeCloseTo(0.8, 12);
    expect(expectedAuc(Float64Array.of(0.3, 0.3, 0.3))!).toBeCloseTo(0.5, 12);
  });

  it('raises its alarm when the estimate falls more than estimated_auc_drop below the test AUC, not otherwise', () => {
    const sharp = calibratedWindow(3000, 1, 3).scores;
    const blunt = calibratedWindow(3000, 1, 0.5).scores;
    const good = estimatePerformance(sharp, 0.5, 0.85, { estimated_auc_drop: 0.05 });
    const bad = estimatePerformance(blunt, 0.5, 0.85, { estimated_auc_drop: 0.05 });
    expect(good.auc!).toBeGreaterThan(0.8);
    expect(good.degraded).toBe(false);
    expect(bad.auc!).toBeLessThan(0.7);
    expect(bad.degraded).toBe(true);
    expect(bad.summary).toContain('degraded');
  });

  it('does not alarm on a point estimate whose interval still reaches the test AUC (a handful of expected positives)', () => {
    // 600 rows scored around 0.4 %: about 2 expected positives, so the AUC the labels would realise spans most of [0.5, 1]
    const random = seededRandom(7);
    const few = Float64Array.from({ length: 600 }, () => 1 / (1 + Math.exp(-(1.2 * random.normal() - 6))));
    const estimate = estimatePerformance(few, 0.5, 0.97, { estimated_auc_drop: 0.05 });
    expect(estimate.auc!).toBeLessThan(0.92);
    expect(estimate.auc_interval![1]).toBeGreaterThanOrEqual(0.97);
    expect(estimate.degraded).toBe(false);
    expect(estimate.summary).toContain('interval reaches the test AUC');
  });

  it('says so when the scores expect one class only', () => {
    const estimate = estimatePerformance(new Float64Array(500), 0.5, 0.9, { estimated_auc_drop: 0.05 });
    expect(estimate.auc).toBeNull();
    expect(estimate.accuracy).toBe(1);
    expect(estimate.degraded).toBe(false);
  });
});
