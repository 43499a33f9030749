import type { ColumnData } from '../data/column_summary';
import { binCounts } from './decile_bins';
import type { FeatureProfile } from './reference_profile';

/**
 * Reference and current counts over the same bins, the input of chi-square, z, Jensen–Shannon and PSI
 * and what the report draws: the reference's categories (or, for a numeric feature with few values,
 * its values) plus one "other" bin for everything else; for other numeric features, the reference
 * deciles.
 */
export interface AlignedCounts {
  labels: string[];
  reference: number[];
  current: number[];
}

export const OTHER = '(other)';

export function alignedCounts(profile: FeatureProfile, current: ColumnData): AlignedCounts {
  if (profile.kind !== 'numeric') {
    if (current.kind === 'numeric') throw new TypeError(`${profile.name}: categorical reference, numeric current`);
    const index = new Map(profile.categories.map(([name], i) => [name, i]));
    const counts = new Array<number>(profile.categories.length + 1).fill(0);
    for (const [key, n] of current.counts) counts[index.get(key) ?? profile.categories.length] += n;
    return {
      labels: [...profile.categories.map(([name]) => name), OTHER],
      reference: [...profile.categories.map(([, n]) => n), profile.other],
      current: counts,
    };
  }
  if (current.kind !== 'numeric') throw new TypeError(`${profile.name}: numeric reference, categorical current`);
  if (profile.values) {
    const index = new Map(profile.values.map(([value], i) => [value, i]));
    const counts = new Array<number>(profile.values.length + 1).fill(0);
    for (const v of current.values) counts[index.get(v) ?? profile.values.length]++;
    return { labels: [...profile.values.map(([v]) => formatNumber(v)), OTHER], reference: [...profile.values.map(([, n]) => n), 0], current: counts };
  }
  const { edges, counts } = profile.bins;
  return { labels: binLabels(edges), reference: [...counts], current: binCounts(edges, current.values) };
}

function binLabels(edges: readonly number[]): string[] {
  if (edges.length === 0) return ['all'];
  return [
    `< ${formatNumber(edges[0])}`,
    ...edges.slice(1).map((edge, i) => `${formatNumber(edges[i])} – ${formatNumber(edge)}`),
    `≥ ${formatNumber(edges[edges.length - 1])}`,
  ];
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1000 ? value.toFixed(0) : Number(value.toPrecision(4)).toString();
}
