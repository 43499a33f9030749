import { grown } from '../../../shared/data/grown';

test('a typed array of the same kind, its values kept, doubled or to the capacity asked; itself when large enough', () => {
  const ints = Int32Array.of(3, -1, 7);
  const doubled = grown(ints);
  expect(doubled).toBeInstanceOf(Int32Array);
  expect([...doubled]).toEqual([3, -1, 7, 0, 0, 0]);
  const floats = Float64Array.of(0.5);
  expect([...grown(floats, 4)]).toEqual([0.5, 0, 0, 0]);
  expect(grown(floats, 1)).toBe(floats);
});
