import { untrustedNameProblem } from '../../../shared/core/object_names';

describe('untrusted object names', () => {
  it('accepts plain relative names', () => {
    for (const name of ['datasets/fraud/a.csv', 'datasets/fraud/export-1/part-00000-c000.csv', 'datasets/fraud/dt=2024-01-01/_SUCCESS']) expect(untrustedNameProblem(name)).toBeNull();
  });

  it('refuses climbing, absolute, control characters, backslashes and empty segments, saying which', () => {
    const cases: Array<[string, RegExp]> = [
      ['datasets/../etc/passwd', /"\.\." path segment/],
      ['..', /"\.\." path segment/],
      ['datasets/./a.csv', /"\." path segment/],
      ['/etc/passwd', /absolute/],
      ['gs://bucket/a.csv', /absolute/],
      ['C:/a.csv', /absolute/],
      ['a\\..\\b.csv', /backslash/],
      ['a\nb.csv', /control character/],
      ['a\u001b[31mb.csv', /control character/],
      ['a\u2028b.csv', /control character/],
      ['a//b.csv', /empty path segment/],
      ['', /empty/],
      ['x'.repeat(1025), /longer than 1024/],
    ];
    for (const [name, reason] of cases) expect(untrustedNameProblem(name)).toMatch(reason);
  });
});
