import { classReportText } from '../../../cli/class_report_text';

describe('an image classifier\'s evaluation in the terminal', () => {
  const text = classReportText({
    per_class: [
      { class: 'circle', precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
      { class: 'square', precision: 0.5, recall: 1, f1: 2 / 3, support: 1 },
      // a class never predicted: its precision is undefined, which JSON keeps as null
      { class: 'triangle', precision: null, recall: 0, f1: 0, support: 0 },
    ],
    confusion: { labels: ['circle', 'square', 'triangle'], matrix: [[1, 1, 0], [0, 1, 0], [0, 0, 0]] },
    misclassified: [{ row: 1, label: 'circle', predicted: 'square', confidence: 0.8 }],
  });
  const lines = text.split('\n');

  it('prints each class\'s precision, recall, F1 and images, under the class name', () => {
    expect(lines[0]).toBe('  per class (test split):');
    expect(lines[1].trim().split(/\s+/)).toEqual(['class', 'precision', 'recall', 'f1', 'images']);
    expect(lines[3].trim().split(/\s+/)).toEqual(['circle', '1.0000', '0.5000', '0.6667', '2']);
    expect(lines[5].trim().split(/\s+/)).toEqual(['triangle', '-', '0.0000', '0.0000', '0']);
  });

  it('prints the confusion matrix with the class names on both axes', () => {
    const at = lines.indexOf('  confusion matrix (rows: actual, columns: predicted):');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1].trim().split(/\s{2,}/)).toEqual(['actual \\ predicted', 'circle', 'square', 'triangle']);
    expect(lines[at + 3].trim().split(/\s+/)).toEqual(['circle', '1', '1', '0']);
    expect(lines[at + 4].trim().split(/\s+/)).toEqual(['square', '0', '1', '0']);
    expect(text).toContain('misclassified test images kept: 1');
    expect(text.endsWith('\n')).toBe(true);
  });
});
