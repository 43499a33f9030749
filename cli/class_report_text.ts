import type { ClassEvaluation } from '../shared/pipeline/read_models/image_evaluation';
import { fixed, table } from './output';

/**
 * An image classifier's evaluation for a terminal: each class's precision, recall and F1 with its test
 * images, then the confusion matrix with the class names (rows: actual, columns: predicted), indented
 * under the version or run it belongs to.
 */
export function classReportText(evaluation: ClassEvaluation, indent = '  '): string {
  const { per_class, confusion, misclassified } = evaluation;
  const perClass = table(
    ['class', 'precision', 'recall', 'f1', 'images'],
    per_class.map((c) => [c.class, fixed(c.precision), fixed(c.recall), fixed(c.f1), c.support]),
  );
  const matrix = table(
    ['actual \\ predicted', ...confusion.labels],
    confusion.matrix.map((row, i) => [confusion.labels[i], ...row]),
  );
  const lines = [
    'per class (test split):',
    ...perClass.split('\n').map((l) => indent + l),
    'confusion matrix (rows: actual, columns: predicted):',
    ...matrix.split('\n').map((l) => indent + l),
    `misclassified test images kept: ${misclassified.length}${misclassified.length ? ' (thumbnails on the dashboard\'s run page)' : ''}`,
  ];
  return lines.map((l) => indent + l).join('\n') + '\n';
}
