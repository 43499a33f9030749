import { pickMisclassified } from '../../../shared/ml/misclassified';

const CLASSES = ['cat', 'dog', 'bird'];
const Y = [0, 0, 1, 2, 2];
const P = Float32Array.from([
  [0.8, 0.1, 0.1], // cat → cat
  [0.3, 0.6, 0.1], // cat → dog at 0.6
  [0.1, 0.2, 0.7], // dog → bird at 0.7
  [0.45, 0.45, 0.1], // bird → cat at 0.45 (a tie goes to the first class, as argmax)
  [0.2, 0.1, 0.7], // bird → bird
].flat());

describe('the misclassified test images', () => {
  it('lists the mistakes with true and predicted class names, the most confident first', () => {
    const wrong = pickMisclassified(Y, P, CLASSES);
    expect(wrong.map(({ row, label, predicted }) => ({ row, label, predicted }))).toEqual([
      { row: 2, label: 'dog', predicted: 'bird' },
      { row: 1, label: 'cat', predicted: 'dog' },
      { row: 3, label: 'bird', predicted: 'cat' },
    ]);
    expect(wrong.map((w) => w.confidence)).toEqual([Math.fround(0.7), Math.fround(0.6), Math.fround(0.45)]);
  });

  it('keeps at most the limit, and none when every image is right', () => {
    expect(pickMisclassified(Y, P, CLASSES, 2).map((w) => w.row)).toEqual([2, 1]);
    expect(pickMisclassified([0, 1], Float32Array.from([0.9, 0.05, 0.05, 0.1, 0.8, 0.1]), CLASSES)).toEqual([]);
  });

  it('refuses probabilities that do not match the labels', () => {
    expect(() => pickMisclassified(Y, P.subarray(3), CLASSES)).toThrow(RangeError);
  });
});
