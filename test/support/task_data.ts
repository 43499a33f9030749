import { encodeRecords, type FeatureSpec } from '../../shared/data/encoding';
import type { PreparedData, Task } from '../../shared/data/prepare';
import { seededRandom } from '../../shared/data/random';
import { TextColumns } from '../../shared/data/text_columns';

/**
 * Small synthetic datasets of each task, built directly as the data layer would hand them to a trainer:
 * three numeric features and a categorical one, the target a known function of them plus noise.
 */
export const FEATURES: FeatureSpec[] = [
  { name: 'a', kind: 'numeric', mean: 0, std: 1, min: -4, max: 4, fill: 0 },
  { name: 'b', kind: 'numeric', mean: 0, std: 1, min: -4, max: 4, fill: 0 },
  { name: 'amount', kind: 'numeric', mean: 100, std: 300, min: 0, max: 1e5, fill: 100 },
  { name: 'kind', kind: 'categorical', categories: ['x', 'y', 'z'] },
];

export type Row = { a: number; b: number; amount: number; kind: string };

export const CLASSES: Record<Task, string[] | null> = { binary: ['no', 'yes'], multiclass: ['low', 'mid', 'high'], regression: null };

function target(task: Task, row: Row, noise: number): number {
  const signal = 1.5 * row.a - row.b + (row.kind === 'z' ? 1 : 0) + 0.3 * Math.log1p(row.amount);
  if (task === 'regression') return 40 + 12 * signal + 3 * noise;
  const z = signal + 0.5 * noise;
  // a rare positive class (about 8 %), as fraud is
  if (task === 'binary') return z > 4 ? 1 : 0;
  return z < 0 ? 0 : z < 1.5 ? 1 : 2;
}

export function rows(n: number, seed: number): Row[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => ({
    a: random.normal(),
    b: random.normal(),
    // skewed, as money is, so the networks' signed log is exercised
    amount: Math.round(Math.exp(3 + 2 * random.normal()) * 100) / 100,
    kind: ['x', 'y', 'z'][random.int(3)],
  }));
}

function split(task: Task, records: Row[], seed: number) {
  const random = seededRandom(seed + 1000);
  const X = encodeRecords(records, FEATURES);
  const y = Float32Array.from(records, (r) => target(task, r, random.normal()));
  return { X, y, n: records.length };
}

export function taskData(task: Task, n = 1500, seed = 3): PreparedData {
  const train = rows(n, seed);
  const validation = rows(Math.round(n / 3), seed + 1);
  const test = rows(Math.round(n / 3), seed + 2);
  const testSplit = split(task, test, seed + 2);
  return {
    task,
    classes: CLASSES[task],
    specs: FEATURES,
    dropped: [],
    target: 'target',
    train: split(task, train, seed),
    validation: split(task, validation, seed + 1),
    test: { ...testSplit, text: TextColumns.fromRecords(test.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])))) },
    trainColumns: () => [
      ...(['a', 'b', 'amount'] as const).map((name) => ({ name, kind: 'numeric' as const, values: Float64Array.from(train, (r) => r[name]), missing: 0 })),
      { name: 'kind', kind: 'categorical' as const, counts: train.reduce((m, r) => m.set(r.kind, (m.get(r.kind) ?? 0) + 1), new Map<string, number>()), missing: 0 },
    ],
    report: { task, rows: n, rows_read: n, rows_usable: n, sampled: false, rejected: [], rejectedCount: 0, columns: [] },
  };
}

/** Largest |a − b| relative to max(1, |b|): values in the target's units compare by their size. */
export function worstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`${a.length} values against ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}
