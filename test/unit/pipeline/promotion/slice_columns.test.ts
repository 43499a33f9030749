import type { FeatureSpec } from '../../../../shared/data/encoding';
import { sliceColumnsOf } from '../../../../shared/pipeline/promotion/slice_columns';

const features: FeatureSpec[] = [
  { name: 'amount', kind: 'numeric', mean: 0, std: 1, min: 0, max: 9, fill: 0 },
  { name: 'type', kind: 'categorical', categories: ['a', 'b', 'c'] },
  { name: 'card', kind: 'categorical', categories: [] },
  { name: 'only', kind: 'categorical', categories: ['x'] },
  { name: 'flag', kind: 'boolean' },
];
const holdout = Array.from({ length: 60 }, (_, i) => ({
  label: i % 2,
  record: { amount: String(i), type: ['a', 'b', 'c'][i % 3], card: `c${i}`, only: 'x', flag: i % 4 === 0 ? '1' : '0', segment: i < 30 ? 'gold' : '' },
}));

describe('sliceColumnsOf', () => {
  it('picks the categorical and boolean features of 2 to 20 values on the holdout when none are named', () => {
    const { columns, missing } = sliceColumnsOf(holdout, features);
    expect(columns.map((c) => c.column)).toEqual(['type', 'flag']);
    expect(columns[0].values.slice(0, 4)).toEqual(['a', 'b', 'c', 'a']);
    expect(missing).toEqual([]);
  });

  it('takes named columns as they are, features or not, and says which the holdout lacks', () => {
    const { columns, missing } = sliceColumnsOf(holdout, features, ['segment', 'amount', 'region']);
    expect(columns.map((c) => c.column)).toEqual(['segment', 'amount']);
    expect(columns[0].values[45]).toBe('');
    expect(missing).toEqual(['region']);
  });
});
