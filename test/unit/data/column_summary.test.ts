import { ColumnBuilder } from '../../../shared/data/column_summary';

/** addColumn must read a decoded column as add() reads its values one by one. */
function oneByOne(kind: 'numeric' | 'categorical' | 'boolean', values: ArrayLike<unknown>, keep: Uint8Array | null) {
  const builder = new ColumnBuilder(kind);
  for (let i = 0; i < values.length; i++) if (!keep || keep[i]) builder.add(values[i]);
  return builder.build();
}

test('a column of doubles, whole or through a row mask, non-finite values missing, values added before kept first', () => {
  const doubles = Float64Array.of(1.5, NaN, -2, Infinity, 0, 7);
  const keep = Uint8Array.of(1, 1, 0, 1, 1, 0);
  for (const mask of [null, keep]) {
    const builder = new ColumnBuilder('numeric');
    builder.add('3');
    builder.addColumn(doubles, mask, doubles.length);
    builder.addColumn(Float64Array.of(8, 9), null, 2);
    const expected = new ColumnBuilder('numeric');
    expected.add('3');
    for (let i = 0; i < doubles.length; i++) if (!mask || mask[i]) expected.add(doubles[i]);
    expected.add(8);
    expected.add(9);
    expect(builder.build()).toEqual(expected.build());
  }
});

test('a column absent from a file adds its rows as missing', () => {
  const builder = new ColumnBuilder('numeric');
  builder.addColumn(null, Uint8Array.of(1, 0, 1), 3);
  builder.addColumn(null, null, 2);
  expect(builder.build()).toEqual({ kind: 'numeric', values: new Float64Array(0), missing: 4 });
});

test.each([
  ['categorical', [' a', 'a', 7, null, '', true, 'b', 'a']],
  ['boolean', ['yes', true, 1, 0, 'no', 'maybe', null, false]],
  ['numeric', ['1.5', 2, null, 'x', true, '3']],
] as const)('%s values of any type, counted as add() counts them', (kind, values) => {
  const keep = Uint8Array.from(values, (_, i) => (i % 3 === 1 ? 0 : 1));
  for (const mask of [null, keep]) {
    const builder = new ColumnBuilder(kind);
    builder.addColumn(values, mask, values.length);
    expect(builder.build()).toEqual(oneByOne(kind, values, mask));
  }
});
