import {
  encodedColumns,
  encodedWidth,
  encodeRecords,
  fitFeatureSpecs,
  MAX_CATEGORY_CHARS,
  validateInstances,
  type FeatureSpec,
  type TrainingColumn,
} from '../../../shared/data/encoding';
import type { ColumnKind, ColumnSchema } from '../../../shared/data/schema';

const columnsOf = (kinds: Record<string, ColumnKind>): { columns: ColumnSchema[] } => ({
  columns: Object.entries(kinds).map(([name, kind], index) => ({ name, index, kind, missing: 0, unique: 0 })),
});

const specs: FeatureSpec[] = [
  { name: 'amount', kind: 'numeric', mean: 100, std: 50, min: 0, max: 500, fill: 100 },
  { name: 'type', kind: 'categorical', categories: ['TRANSFER', 'CASH_OUT', 'PAYMENT'] },
  { name: 'night', kind: 'boolean' },
];

describe('encodeRecords', () => {
  it('passes numbers raw, one-hot encodes categories and maps booleans to 0/1', () => {
    expect(encodedWidth(specs)).toBe(5);
    const x = encodeRecords([{ amount: 250.5, type: 'CASH_OUT', night: true }, { amount: -3, type: 'PAYMENT', night: false }], specs);
    expect(Array.from(x)).toEqual([250.5, 0, 1, 0, 1, -3, 0, 0, 1, 0]);
  });

  it('encodes unknown and missing categories as all zeros and missing numbers as the training mean', () => {
    const x = encodeRecords(
      [
        { amount: null, type: 'DEBIT', night: null },
        { amount: undefined, type: null, night: undefined },
        { type: '' },
      ],
      specs,
    );
    expect(Array.from(x)).toEqual([100, 0, 0, 0, 0, 100, 0, 0, 0, 0, 100, 0, 0, 0, 0]);
  });

  it('gives CSV strings and JSON values the same vector', () => {
    const fromCsv = encodeRecords([{ amount: ' 42.25 ', type: ' TRANSFER', night: 'yes' }, { amount: 'NA', type: 'NA', night: 'f' }], specs);
    const fromJson = encodeRecords([{ amount: 42.25, type: 'TRANSFER', night: 1 }, { amount: null, type: null, night: false }], specs);
    expect(Array.from(fromCsv)).toEqual(Array.from(fromJson));
    expect(Array.from(encodeRecords([{ amount: '', type: 'x', night: '' }], specs))).toEqual([100, 0, 0, 0, 0]);
  });

  it('stringifies numeric categories so that 3 and "3" are the same value', () => {
    const codes: FeatureSpec[] = [{ name: 'zone', kind: 'categorical', categories: ['1', '3'] }];
    expect(Array.from(encodeRecords([{ zone: 3 }, { zone: '3' }, { zone: 2 }], codes))).toEqual([0, 1, 0, 1, 0, 0]);
  });

  it("finds the file's spelling of a category sent as a JSON number or boolean", () => {
    const codes: FeatureSpec[] = [{ name: 'zone', kind: 'categorical', categories: ['3.0', 'True', '3', 'x'] }];
    // "3" is spelled exactly, so 3 is "3"; 3.5 and false were never seen
    expect(Array.from(encodeRecords([{ zone: 3 }, { zone: true }, { zone: 3.5 }, { zone: false }], codes))).toEqual([
      0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    const decimals: FeatureSpec[] = [{ name: 'zone', kind: 'categorical', categories: ['1.50', '2.0'] }];
    expect(Array.from(encodeRecords([{ zone: 1.5 }, { zone: 2 }, { zone: '2' }], decimals))).toEqual([1, 0, 0, 1, 0, 0]);
  });

  it('writes into a given buffer, clearing what was there', () => {
    const out = new Float32Array(12).fill(7);
    encodeRecords([{ amount: 1, type: 'PAYMENT', night: false }], specs, out.subarray(0, 5));
    expect(Array.from(out)).toEqual([1, 0, 0, 1, 0, 7, 7, 7, 7, 7, 7, 7]);
    expect(() => encodeRecords([{}, {}], specs, new Float32Array(5))).toThrow(RangeError);
  });

  it('describes each encoded column', () => {
    expect(encodedColumns(specs)).toEqual([
      { feature: 'amount', kind: 'numeric' },
      { feature: 'type', kind: 'categorical', category: 'TRANSFER' },
      { feature: 'type', kind: 'categorical', category: 'CASH_OUT' },
      { feature: 'type', kind: 'categorical', category: 'PAYMENT' },
      { feature: 'night', kind: 'boolean' },
    ]);
  });
});

describe('fitFeatureSpecs', () => {
  it('fits statistics and vocabularies on the given rows only', () => {
    const schema = columnsOf({ amount: 'numeric', type: 'categorical', night: 'boolean', y: 'dropped' });
    const columns = new Map<string, TrainingColumn>([
      ['amount', { kind: 'numeric', values: Float64Array.of(1, NaN, 3, 1000) }],
      ['type', { kind: 'categorical', codes: Uint16Array.of(1, 2, 2, 3), dictionary: ['A', 'B', 'C'] }],
      ['night', { kind: 'boolean' }],
    ]);
    expect(fitFeatureSpecs(schema, columns, Uint32Array.of(0, 1, 2))).toEqual([
      { name: 'amount', kind: 'numeric', mean: 2, std: 1, min: 1, max: 3, fill: 2 },
      { name: 'type', kind: 'categorical', categories: ['B', 'A'] },
      { name: 'night', kind: 'boolean' },
    ]);
  });

  it('keeps the 50 most frequent categories, ties in name order', () => {
    const dictionary = Array.from({ length: 60 }, (_, i) => `v${String(i).padStart(2, '0')}`);
    const codes = Uint16Array.from({ length: 580 }, (_, i) => (i < 100 ? 60 : ((i - 100) % 60) + 1));
    const schema = columnsOf({ c: 'categorical', y: 'dropped' });
    const [spec] = fitFeatureSpecs(schema, new Map([['c', { kind: 'categorical', codes, dictionary }]]), codes.map((_, i) => i));
    expect(spec.kind === 'categorical' && spec.categories).toEqual(['v59', ...dictionary.slice(0, 49)]);
  });
});

describe('validateInstances', () => {
  const ignorable = ['isFraud', 'nameOrig'];
  const good = { amount: 12.5, type: 'TRANSFER', night: false };

  it('accepts JSON values, nulls for unknowns and ignorable fields', () => {
    const instances = [good, { amount: null, type: 7, night: 1, isFraud: 0, nameOrig: 'C1' }];
    expect(validateInstances(instances, specs, ignorable)).toEqual({ ok: true, records: instances });
  });

  it('takes every value as the training file spelled it: numbers and booleans as strings, empty strings as missing', () => {
    const instances = [
      { amount: '12', type: 'TRANSFER', night: 'yes' },
      { amount: ' 1.0 ', type: true, night: 'No' },
      { amount: '', type: '', night: '' },
      { amount: 'NA', type: 'null', night: 'TRUE' },
      { amount: 1, type: 3, night: 0 },
    ];
    expect(validateInstances(instances, specs, ignorable)).toEqual({ ok: true, records: instances });
  });

  it('explains each problem with the index and field', () => {
    const result = validateInstances(
      [
        { amount: 'abc', type: 'TRANSFER', night: false },
        { amount: true, type: {}, night: 'maybe', colour: 'red' },
        { type: 'PAYMENT', night: true },
        { amount: Number.NaN, type: 'PAYMENT', night: 2 },
        good,
        [1, 2],
        null,
      ],
      specs,
      ignorable,
    );
    expect(result.ok).toBe(false);
    const messages = !result.ok && result.errors.map((e) => e.message);
    expect(messages).toEqual([
      'instances[0].amount: expected a number, got string "abc"',
      'instances[1].amount: expected a number, got boolean true',
      'instances[1].type: expected a string, got an object',
      'instances[1].night: expected true/false (or 1/0, yes/no), got string "maybe"',
      "instances[1].colour: unknown field (the model's features are: amount, type, night)",
      'instances[2].amount: missing (expected a number; send null when unknown)',
      'instances[3].amount: expected a finite number, got NaN',
      'instances[3].night: expected true/false (or 1/0, yes/no), got number 2',
      'instances[5]: expected an object of feature values, got an array',
      'instances[6]: expected an object of feature values, got null',
    ]);
    expect(!result.ok && result.errors[0]).toEqual({ index: 0, field: 'amount', message: 'instances[0].amount: expected a number, got string "abc"' });
  });

  it('rejects a body that is not a non-empty array', () => {
    for (const [body, message] of [
      [{ amount: 1 }, 'instances: expected an array of objects, got an object'],
      ['x', 'instances: expected an array of objects, got string "x"'],
      [undefined, 'instances: expected an array of objects, got undefined'],
      [[], 'instances: expected at least one instance, got an empty array'],
    ] as const) {
      expect(validateInstances(body, specs, ignorable)).toEqual({ ok: false, errors: [{ index: null, field: null, message }] });
    }
  });

  it('refuses a category longer than any a training file holds, and takes one at the limit', () => {
    const atLimit = { ...good, type: 'x'.repeat(MAX_CATEGORY_CHARS) };
    expect(validateInstances([atLimit], specs, ignorable).ok).toBe(true);
    const result = validateInstances([{ ...good, type: 'x'.repeat(MAX_CATEGORY_CHARS + 1) }], specs, ignorable);
    expect(!result.ok && result.errors.map((e) => e.message)).toEqual([
      `instances[0].type: a string of ${MAX_CATEGORY_CHARS + 1} characters, longer than the ${MAX_CATEGORY_CHARS} a category may have`,
    ]);
  });

  it('stops at 100 errors', () => {
    const result = validateInstances(Array.from({ length: 500 }, () => ({})), specs, ignorable);
    expect(!result.ok && result.errors.length).toBe(100);
  });
});
