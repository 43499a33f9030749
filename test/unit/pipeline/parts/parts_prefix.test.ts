import { parsePartsObjectName } from '../../../../shared/pipeline/parts/parts_prefix';

describe('an object inside datasets/<model>/<name>/', () => {
  it('is a marker, a part or something else of its prefix', () => {
    const prefix = 'datasets/fraud/export-1/';
    expect(parsePartsObjectName(`${prefix}_SUCCESS`)).toEqual({ model: 'fraud', prefix, file: '_SUCCESS', role: 'success' });
    expect(parsePartsObjectName(`${prefix}manifest.json`)).toMatchObject({ role: 'manifest' });
    expect(parsePartsObjectName(`${prefix}part-00000-c000.csv`)).toMatchObject({ role: 'part' });
    expect(parsePartsObjectName(`${prefix}000000000000.parquet`)).toMatchObject({ role: 'part' });
    for (const file of ['.part-0.csv.crc', '_tags.json', 'dt=1/part-0.csv', 'notes.txt', 'part-0.csv.gz']) expect(parsePartsObjectName(prefix + file)).toMatchObject({ role: 'other' });
  });

  it('is no part of a prefix when it sits directly under datasets/<model>/, and ignored with a reason under a bad name', () => {
    expect(parsePartsObjectName('datasets/fraud/a.csv')).toBeNull();
    expect(parsePartsObjectName('datasets/Fraud/x/_SUCCESS')).toEqual({ ignore: expect.stringMatching(/model name "Fraud"/) });
    expect(parsePartsObjectName('datasets/fraud/_x/_SUCCESS')).toEqual({ ignore: expect.stringMatching(/dataset folder "_x"/) });
  });
});
