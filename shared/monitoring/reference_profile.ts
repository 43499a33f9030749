import { z } from 'zod';
import type { ColumnData } from '../data/column_summary';
import { seededRandom } from '../data/random';
import { binCounts, decileEdges, quantileSorted } from './decile_bins';
import { reservoirSample } from './reservoir';

/**
 * reference.json: what the model was trained on, as drift monitoring needs it — per feature its type,
 * count, missing values, quantiles and decile bins (numeric) or category counts with an "other" bucket
 * (categorical), a uniform sample of raw numeric values for KS and Wasserstein, and the same for the
 * model's scores on its test split. Written once per model version by the train job; a few hundred kB.
 */
const count = z.number().int().nonnegative();

export const NumericProfile = z.object({
  name: z.string(),
  kind: z.literal('numeric'),
  count,
  missing: count,
  unique: count,
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  /** Population standard deviation (ddof 0), the Wasserstein normaliser. */
  std: z.number(),
  quantiles: z.array(z.tuple([z.number(), z.number()])),
  /** Decile edges and the count of values in each of the edges.length + 1 bins. */
  bins: z.object({ edges: z.array(z.number()), counts: z.array(count) }),
  /** Every distinct value with its count, when there are few (≤ MAX_LISTED_VALUES). */
  values: z.array(z.tuple([z.number(), count])).optional(),
  sample: z.array(z.number()),
});
export type NumericProfile = z.infer<typeof NumericProfile>;

export const CategoricalProfile = z.object({
  name: z.string(),
  kind: z.enum(['categorical', 'boolean']),
  count,
  missing: count,
  unique: count,
  /** The most frequent categories with their counts, most frequent first. */
  categories: z.array(z.tuple([z.string(), count])),
  /** Values of the categories not listed. */
  other: count,
});
export type CategoricalProfile = z.infer<typeof CategoricalProfile>;

export const FeatureProfile = z.union([NumericProfile, CategoricalProfile]);
export type FeatureProfile = z.infer<typeof FeatureProfile>;

export const ReferenceProfile = z.object({
  format_version: z.literal(1),
  /** Rows of the training split the profile describes. */
  rows: count,
  features: z.array(FeatureProfile),
  /** The model's scores on its test split; null for a profile of plain data (mloop drift compare). */
  scores: NumericProfile.nullable(),
  /**
   * Features judged in groups, each against drift_share on its own (an image model: its images'
   * properties, and its outputs); absent for a table, whose features form one group.
   */
  groups: z.array(z.object({ name: z.string(), features: z.array(z.string()) })).optional(),
  /** Features read from each logged prediction rather than from its features, by the prediction's field. */
  prediction_fields: z.record(z.string(), z.string()).optional(),
});
export type ReferenceProfile = z.infer<typeof ReferenceProfile>;

export interface ReferenceOptions {
  /** Raw values kept per numeric feature; 5 000 keeps the file small and KS/Wasserstein precise. */
  sampleSize?: number;
  /** Total raw values across features, so that a wide table still gives a file a function can load. */
  sampleBudget?: number;
  maxCategories?: number;
  seed?: number;
}

export const MAX_LISTED_VALUES = 20;
const QUANTILES = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99];
const DEFAULTS = { sampleSize: 5_000, sampleBudget: 60_000, maxCategories: 100, seed: 7 };

export function buildReference(
  columns: ReadonlyArray<{ name: string } & ColumnData>,
  scores: ArrayLike<number> | null,
  options: ReferenceOptions = {},
): ReferenceProfile {
  const o = { ...DEFAULTS, ...options };
  const numeric = columns.filter((c) => c.kind === 'numeric').length + (scores ? 1 : 0);
  const sampleSize = Math.max(1, Math.min(o.sampleSize, Math.floor(o.sampleBudget / Math.max(1, numeric))));
  const random = seededRandom(o.seed);
  const rows = columns.length > 0 ? columnRows(columns[0]) : (scores?.length ?? 0);
  return {
    format_version: 1,
    rows,
    features: columns.map((column) =>
      column.kind === 'numeric'
        ? profileNumeric(column.name, column.values, column.missing, sampleSize, random)
        : profileCategorical(column.name, column.kind, column.counts, column.missing, o.maxCategories),
    ),
    scores: scores ? profileNumeric('score', Float64Array.from(scores), 0, sampleSize, random) : null,
  };
}

function columnRows(column: ColumnData): number {
  if (column.kind === 'numeric') return column.values.length + column.missing;
  let total = column.missing;
  for (const n of column.counts.values()) total += n;
  return total;
}

export function profileNumeric(
  name: string,
  values: Float64Array | Float32Array,
  missing: number,
  sampleSize: number,
  random: ReturnType<typeof seededRandom>,
): NumericProfile {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    // Welford, as the encoder fits its specs: amounts in the millions would lose digits otherwise.
    const d = sorted[i] - mean;
    mean += d / (i + 1);
    m2 += d * (sorted[i] - mean);
  }
  const distinct: Array<[number, number]> = [];
  let unique = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0 && sorted[i] === sorted[i - 1]) {
      if (unique <= MAX_LISTED_VALUES) distinct[distinct.length - 1][1]++;
      continue;
    }
    unique++;
    if (unique <= MAX_LISTED_VALUES) distinct.push([sorted[i], 1]);
  }
  const edges = decileEdges(sorted);
  const sample = reservoirSample(values, sampleSize, random).sort();
  return {
    name,
    kind: 'numeric',
    count: n,
    missing,
    unique,
    min: n > 0 ? sorted[0] : 0,
    max: n > 0 ? sorted[n - 1] : 0,
    mean,
    std: n > 0 ? Math.sqrt(m2 / n) : 0,
    quantiles: n > 0 ? QUANTILES.map((p) => [p, quantileSorted(sorted, p)]) : [],
    bins: { edges, counts: binCounts(edges, sorted) },
    ...(unique <= MAX_LISTED_VALUES ? { values: distinct } : {}),
    sample: Array.from(sample),
  };
}

function profileCategorical(
  name: string,
  kind: 'categorical' | 'boolean',
  counts: ReadonlyMap<string, number>,
  missing: number,
  maxCategories: number,
): CategoricalProfile {
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const kept = ranked.slice(0, maxCategories);
  const other = ranked.slice(maxCategories).reduce((sum, [, n]) => sum + n, 0);
  const present = ranked.reduce((sum, [, n]) => sum + n, 0);
  return { name, kind, count: present, missing, unique: counts.size, categories: kept, other };
}
