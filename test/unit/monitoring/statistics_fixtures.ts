import fs from 'node:fs';
import path from 'node:path';

/**
 * Values scipy computed for the drift statistics (test/fixtures/drift/make_fixtures.py wrote them), so
 * the thresholds people carry over from Evidently mean the same thing here.
 */
export interface StatisticsFixtures {
  ks: Array<{ name: string; a: number[]; b: number[]; statistic: number; p_value: number }>;
  kolmogorov: Array<{ n: number; x: number; sf: number }>;
  gamma_q: Array<{ a: number; x: number; q: number }>;
  categorical: Array<{
    name: string;
    reference: number[];
    current: number[];
    jensenshannon: number;
    psi: number;
    chisquare?: { statistic: number; p_value: number };
    z?: { statistic: number; p_value: number };
  }>;
  wasserstein: Array<{ name: string; a: number[]; b: number[]; distance: number; normed: number }>;
  quantiles: Array<{ values: number[]; probabilities: number[]; quantiles: number[] }>;
}

export const statisticsFixtures = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'drift', 'statistics.json'), 'utf8'),
) as StatisticsFixtures;

export const sortedSample = (values: number[]) => Float64Array.from(values).sort();
