import { TextColumns } from '../../../shared/data/text_columns';

describe('TextColumns', () => {
  it('reads back every cell as it was added, rows added in any order, whatever their bytes', () => {
    const names = ['a', 'b'];
    const cells = [
      ['12.50', 'gold'],
      ['', 'ünïcødé 🚀'],
      ['x'.repeat(500), 'with "quotes", commas'],
      ['0', ''],
    ];
    const text = new TextColumns(names, cells.length);
    for (const row of [2, 0, 3, 1]) text.add(row, (k) => cells[row][k]);
    text.seal();
    expect(text.records()).toEqual(cells.map(([a, b]) => ({ a, b })));
    expect(text.cell(2, 'a')).toBe('x'.repeat(500));
    expect(text.cell(1, 'b')).toBe('ünïcødé 🚀');
    expect(text.cell(1, 'missing')).toBeUndefined();
    expect(text.record(3)).toEqual({ a: '0', b: '' });
  });

  it('grows past its first guess of the bytes a column needs', () => {
    const long = (row: number) => `${row}:`.padEnd(40, 'é');
    const text = new TextColumns(['v'], 1000);
    for (let row = 999; row >= 0; row--) text.add(row, () => long(row));
    expect(text.seal().records()).toEqual(Array.from({ length: 1000 }, (_, row) => ({ v: long(row) })));
  });

  it('is made from records', () => {
    const records = [{ x: '1', y: 'a' }, { x: '2', y: 'b' }];
    expect(TextColumns.fromRecords(records).records()).toEqual(records);
    expect(TextColumns.fromRecords([]).length).toBe(0);
  });
});
