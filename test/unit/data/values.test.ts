import fc from 'fast-check';
import { ColumnStore } from '../../../shared/data/column_store';
import { CsvScanner } from '../../../shared/data/csv_scan';
import { readFeature, UNREADABLE, type FeatureKind } from '../../../shared/data/values';

describe('readFeature', () => {
  it('reads strings as the training file spells values, and JSON values as they are', () => {
    const cases: Array<[FeatureKind, unknown, unknown]> = [
      ['numeric', '12.5', 12.5],
      ['numeric', ' 1.0 ', 1],
      ['numeric', 7, 7],
      ['numeric', '', null],
      ['numeric', 'NA', null],
      ['numeric', null, null],
      ['numeric', 'lots', UNREADABLE],
      ['numeric', true, UNREADABLE],
      ['numeric', Infinity, UNREADABLE],
      ['boolean', 'yes', 1],
      ['boolean', 'No', 0],
      ['boolean', 'TRUE', 1],
      ['boolean', 'f', 0],
      ['boolean', false, 0],
      ['boolean', 1, 1],
      ['boolean', ' ', null],
      ['boolean', 'maybe', UNREADABLE],
      ['boolean', 2, UNREADABLE],
      ['categorical', ' red ', 'red'],
      ['categorical', 3, '3'],
      ['categorical', true, 'true'],
      ['categorical', 'null', null],
      ['categorical', {}, UNREADABLE],
    ];
    for (const [kind, value, read] of cases) expect([kind, value, readFeature(kind, value)]).toEqual([kind, value, read]);
  });

  it('gives for a string what the training pass stores for the same CSV cell', () => {
    const word = fc.constantFrom('yes', 'No', 'TRUE', 'f', 'y', '1', '0', '1.0', 'NA', 'nan', 'null', '', ' ', 'n/a', '12.5', ' -3e2 ', '0x1f', '.5', 'Infinity', 'été ');
    const cell = fc.oneof(word, fc.string({ maxLength: 8 }), fc.double({ noNaN: true }).map(String));
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 30 }), (cells) => {
        const kinds = ['numeric', 'boolean', 'categorical'] as const;
        const stores = kinds.map((kind, index) => new ColumnStore({ name: kind, index, kind, missing: 0, unique: 0 }, cells.length));
        let slot = 0;
        const scanner = new CsvScanner((rec) => {
          for (const store of stores) store.write(rec, slot);
          slot++;
        });
        const quoted = (c: string) => `"${c.replaceAll('"', '""')}"`;
        scanner.push(Buffer.from(cells.map((c) => [c, c, c].map(quoted).join(',')).join('\n') + '\n'));
        scanner.end();
        expect(slot).toBe(cells.length);
        const [numeric, boolean, categorical] = stores;
        cells.forEach((c, i) => {
          const n = readFeature('numeric', c);
          expect(numeric.numbers[i]).toEqual(typeof n === 'number' ? Math.fround(n) : NaN);
          const b = readFeature('boolean', c);
          expect(boolean.flags[i]).toBe(b === 0 || b === 1 ? b : 2);
          const k = readFeature('categorical', c);
          const code = categorical.codes[i];
          expect(code === 0 ? null : categorical.dictionary.text(code - 1)).toBe(typeof k === 'string' ? k : null);
        });
      }),
      { numRuns: 300 },
    );
  });
});
