import { kolmogorovSf } from '../kolmogorov_distribution';
import { sortedValues, type StatTest } from './stat_test';

/**
 * The two-sample Kolmogorov–Smirnov test, two-sided, with scipy.stats.ks_2samp's default method: the
 * exact p-value when both samples have at most 10 000 values, else the one-sample KS distribution at
 * the effective size round(m·n/(m+n)). Both inputs must be sorted ascending and free of NaN.
 */
export interface KsResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
}

const MAX_EXACT = 10_000;

export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('the KS test needs two non-empty samples');
  return ksFromGap(n1, n2, largestCdfGap(a, b));
}

/** The test from its statistic: the largest CDF gap between samples of n1 and n2 values. */
export function ksFromGap(n1: number, n2: number, d: number): KsResult {
  if (Math.max(n1, n2) <= MAX_EXACT) {
    const exact = exactPValue(n1, n2, d);
    if (exact) return { statistic: exact.d, pValue: exact.p, method: 'exact' };
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const effective = roundHalfEven((m * n) / (m + n));
  d = Math.min(1, Math.max(0, d));
  return { statistic: d, pValue: kolmogorovSf(effective, d), method: 'asymptotic' };
}

/** sup |F_a − F_b| over the data points, both empirical CDFs taken right-continuous (ties step together). */
function largestCdfGap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let i = 0;
  let j = 0;
  let gap = 0;
  while (i < a.length || j < b.length) {
    const value = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i] : b[j];
    while (i < a.length && a[i] === value) i++;
    while (j < b.length && b[j] === value) j++;
    const diff = Math.abs(i / a.length - j / b.length);
    if (diff > gap) gap = diff;
  }
  return gap;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The statistic is a multiple of 1/lcm(m, n), so it is snapped to the nearest one before counting
 * lattice paths; null when the computation lost its footing (then the asymptotic form is used).
 */
function exactPValue(n1: number, n2: number, d: number): { d: number; p: number } | null {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const snapped = h / lcm;
  if (h === 0) return { d: snapped, p: 1 };
  const p = n1 === n2 ? outsideSquare(n1, h) : outsideBand(n1, n2, g, h);
  return p >= 0 && p <= 1 ? { d: snapped, p } : null;
}

/**
 * Equal sizes: P(D ≥ h/n) = 2·Σ_k (−1)^(k+1) C(2n, n − k·h)/C(2n, n), evaluated Horner-style from the
 * innermost term so that the alternating sum does not cancel.
 */
function outsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let ratio = 1;
    for (let j = 0; j < h; j++) ratio = ((n - k * h - j) * ratio) / (n + k * h + j + 1);
    p = ratio * (1 - p);
  }
  return 2 * p;
}

/**
 * Unequal sizes: the share of monotone lattice paths from (0, 0) to (m, n) that leave the band
 * |x/m − y/n| < h/lcm, by Hodges' inside method rewritten to carry 1 − p (Viehmann 2021, arXiv:2102.08037)
 * so that small p-values keep their precision. One column of the lattice is kept, as a sliding window.
 */
function outsideBand(n1: number, n2: number, g: number, h: number): number {
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const mg = m / g;
  const ng = n / g;
  let low = 0;
  let high = Math.min(Math.ceil(h / mg), n + 1);
  let length = high - low;
  const column = new Float64Array(Math.min(2 * high + 2, n + 1)).fill(1);
  column.fill(0, low, high);
  for (let i = 1; i <= m; i++) {
    const previousLow = low;
    const previousLength = length;
    low = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    high = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (high <= low) return 1;
    let value = low === 0 ? 0 : 1;
    for (let jj = 0; jj < high - low; jj++) {
      const j = jj + low;
      value = (column[jj + low - previousLow] * i + value * j) / (i + j);
      column[jj] = value;
    }
    length = high - low;
    if (previousLength > length) column.fill(1, length, length + (previousLength - length));
  }
  return column[high - low - 1];
}

export const ksStatTest: StatTest<'ks'> = {
  name: 'ks',
  columnKinds: ['numeric'],
  defaultThreshold: 0.05,
  direction: 'p_value',
  driftsAtThreshold: true,
  run(reference, current) {
    const gaps = current.gaps?.();
    const { statistic, pValue } = gaps ? ksFromGap(sortedValues(reference, 'ks').length, gaps.size, gaps.ks) : ksTwoSample(sortedValues(reference, 'ks'), sortedValues(current, 'ks'));
    return { statistic, pValue };
  },
};
