import { metricsText, metricText } from '../../../cli/output';
import { metricText as pageMetricText } from '../../../dashboard/src/dom';

// The CLI and the page format alike (the page imports no server code): both are held to one table.
const CASES: Array<[string, number | null | undefined, string]> = [
  ['rows', 668, '668'],
  ['tp', 131, '131'],
  ['fn', 0, '0'],
  ['positives', 12, '12'],
  ['support', 40, '40'],
  ['holdout_rows', 2000, '2000'],
  ['auc', 0.912345, '0.9123'],
  // a perfect or a null score still reads as a score
  ['auc', 1, '1.0000'],
  ['recall', 0, '0.0000'],
  ['holdout_auc', 1, '1.0000'],
  ['top_3_accuracy', 1, '1.0000'],
  ['rmse', 12, '12.0000'],
  ['logloss', 0.0112, '0.0112'],
  ['threshold', 0.5, '0.5000'],
  // a whole number the list does not know is a count: it prints as one
  ['trees_grown', 57, '57'],
  ['rows', 668.5, '668.5000'],
];

describe('a metric as people read it', () => {
  it.each(CASES)('%s %p prints as %s in the terminal and on the page', (name, value, text) => {
    expect(metricText(name, value)).toBe(text);
    expect(pageMetricText(name, value)).toBe(text);
  });

  it('says so when a metric is undefined', () => {
    for (const value of [null, undefined, NaN, Infinity]) {
      expect(metricText('auc', value)).toBe('-');
      expect(pageMetricText('auc', value)).toBe('–');
    }
  });

  it('lists a run\'s metrics with counts as integers (not rows 668.0000, tp 131.0000)', () => {
    expect(metricsText({ auc: 0.93, rows: 668, tp: 131, precision: null })).toBe('auc 0.9300, rows 668, tp 131, precision -');
  });
});
