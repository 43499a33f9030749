import { coefficientsText } from '../../../cli/coefficients_text';

describe('a linear model\'s coefficients in the terminal', () => {
  const coefficients = {
    outputs: ['low', 'high'],
    intercept: [0.5, -0.25],
    columns: [
      { feature: 'amount', weights: [0.00012, -0.0002] },
      { feature: 'kind', category: 'b', weights: [-2.5, 3] },
      { feature: 'noise', weights: [0, 0] },
    ],
    calibration: [{ a: 1.25, b: -0.5 }, { a: 0.75, b: 0.1 }],
  };

  it('prints the intercept, then the columns by their largest weight, one column of weights per output', () => {
    const lines = coefficientsText(coefficients).split('\n');
    expect(lines[0]).toBe('  coefficients (raw encoded columns):');
    expect(lines[1].trim().split(/\s{2,}/)).toEqual(['column', 'low', 'high']);
    expect(lines[3].trim().split(/\s{2,}/)).toEqual(['(intercept)', '0.5000', '-0.2500']);
    expect(lines[4].trim().split(/\s{2,}/)).toEqual(['kind = b', '-2.500', '3.000']);
    expect(lines[5].trim().split(/\s{2,}/)).toEqual(['amount', '1.200e-4', '-2.000e-4']);
    expect(lines[6].trim().split(/\s{2,}/)).toEqual(['noise', '0', '0']);
    expect(lines[7]).toBe('  Platt calibration on validation: low a 1.250 b -0.5000, high a 0.7500 b 0.1000');
  });

  it('says how many columns it left out', () => {
    const text = coefficientsText({ ...coefficients, calibration: undefined }, 2);
    expect(text.split('\n')[0]).toBe('  coefficients (raw encoded columns, 2 largest of 3):');
    expect(text).not.toContain('noise');
    expect(text).not.toContain('Platt');
  });
});
