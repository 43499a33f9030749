import { classWeights } from '../../../../../shared/ml/models/cnn/class_weights';

describe('CNN class weights', () => {
  const y = Int32Array.of(0, 0, 0, 1);

  it('weighs each class n / (K · n_k), an absent class at the cap', () => {
    expect(Array.from(classWeights(y, 3, { class_weight: 'balanced', max_class_weight: 50 }))).toEqual([4 / 9, 4 / 3, 50].map(Math.fround));
    // every class then carries the same total weight: 3 · 4/9 = 1 · 4/3
    expect(Array.from(classWeights(Int32Array.of(0, 1, 1, 1, 1, 1), 2, { class_weight: 'balanced', max_class_weight: 50 }))).toEqual([3, 0.6].map(Math.fround));
  });

  it('caps a rare class, and weighs all alike when asked for none', () => {
    expect(Array.from(classWeights(y, 3, { class_weight: 'balanced', max_class_weight: 1 }))).toEqual([4 / 9, 1, 1].map(Math.fround));
    expect(Array.from(classWeights(y, 3, { class_weight: 'none', max_class_weight: 50 }))).toEqual([1, 1, 1]);
  });
});
