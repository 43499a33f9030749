import os from 'node:os';
import { seededRandom } from '../shared/data/random';
import { pairedBootstrapAuc } from '../shared/ml/paired_bootstrap';
import { overallMetrics, sliceMetrics } from '../shared/ml/slice_metrics';

/**
 * What slicing adds to a decision: `npm run bench:slices [rows]`. Every metric of a binary model per
 * slice (two columns: 5 and 2 values) and on all rows, for the candidate and production with 200
 * resamples each, timed against the anchor measured in the same process: the decision's existing paired
 * AUC bootstrap (1 000 resamples) on the same rows. The median of 5 runs of each; the load goes with it.
 */
const rows = Number(process.argv[2] ?? 15_000);
const random = seededRandom(7);
const y = Float64Array.from({ length: rows }, () => (random.next() < 0.1 ? 1 : 0));
const candidate = Float32Array.from(y, (v) => 1 / (1 + Math.exp(-(1.5 * v + random.normal() - 2))));
const production = Float32Array.from(y, (v) => 1 / (1 + Math.exp(-(1.0 * v + random.normal() - 2))));
const type = Array.from({ length: rows }, () => ['PAYMENT', 'TRANSFER', 'CASH_OUT', 'DEBIT', 'CASH_IN'][random.int(5)]);
const region = Array.from({ length: rows }, () => (random.next() < 0.8 ? 'north' : 'south'));

function median(work: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = process.hrtime.bigint();
    work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[2];
}

const anchor = median(() => pairedBootstrapAuc(y, candidate, production, 1000, 1));
const input = { task: 'binary' as const, classes: 0, y, candidate, production, columns: [{ column: 'type', values: type }, { column: 'region', values: region }], metric: 'auc', resamples: 200, seed: 1 };
const slices = median(() => {
  sliceMetrics(input);
  overallMetrics(input);
});
console.log(JSON.stringify({ bench: 'slices', rows, slices: 7, resamples: 200, metrics: 3, slices_ms: +slices.toFixed(1), anchor: 'paired AUC bootstrap, 1000 resamples', anchor_ms: +anchor.toFixed(1), ratio: +(slices / anchor).toFixed(2), load: os.loadavg().map((l) => +l.toFixed(2)) }));
