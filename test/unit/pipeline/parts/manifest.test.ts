import { parseManifest } from '../../../../shared/pipeline/parts/manifest';

const PREFIX = 'datasets/fraud/x/';
const parse = (value: unknown) => parseManifest(typeof value === 'string' ? value : JSON.stringify(value), PREFIX);

describe('manifest.json', () => {
  it('lists the parts in name order, relative to its folder, with the sizes and hashes given', () => {
    const sha = 'A'.repeat(64);
    expect(parse({ parts: ['b.csv', { name: `${PREFIX}a.csv`, size: 10, md5Hash: 'rL0Y20zC+Fzt72VPzMSk2A==', sha256: sha }] })).toEqual([
      { name: 'a.csv', size: 10, md5Hash: 'rL0Y20zC+Fzt72VPzMSk2A==', sha256: sha.toLowerCase() },
      { name: 'b.csv' },
    ]);
  });

  it('is refused with the reason when it cannot name the parts safely', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['{', /datasets\/fraud\/x\/manifest\.json: not valid JSON/],
      [[], /must be a JSON object/],
      [{ files: [] }, /unknown field "files"/],
      [{ parts: [] }, /non-empty list/],
      [{ parts: ['a.csv', 'a.csv'] }, /"a\.csv" is listed twice/],
      [{ parts: ['../y/a.csv'] }, /parts\[0\] name "\.\.\/y\/a\.csv" is refused: it has a "\.\." path segment/],
      [{ parts: ['/etc/a.csv'] }, /is refused: it is absolute/],
      [{ parts: ['a\u0000.csv'] }, /control character/],
      [{ parts: ['datasets/fraud/y/a.csv'] }, /is not directly in datasets\/fraud\/x\//],
      [{ parts: ['sub/a.csv'] }, /is not directly in/],
      [{ parts: ['_SUCCESS'] }, /marker or hidden file/],
      [{ parts: ['notes.txt'] }, /not a part file a dataset can hold \(\.csv/],
      [{ parts: [{ name: 'a.csv', rows: 3 }] }, /unknown field "rows"/],
      [{ parts: [{ name: 'a.csv', size: -1 }] }, /size must be a whole number/],
      [{ parts: [{ name: 'a.csv', md5Hash: 'abc' }] }, /base64 MD5/],
      [{ parts: [{ name: 'a.csv', sha256: 'abc' }] }, /64 hex digits/],
      [{ parts: [5] }, /must be a name or/],
    ];
    for (const [value, reason] of cases) expect(() => parse(value)).toThrow(reason);
  });
});
