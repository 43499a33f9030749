type Growable = Uint8Array | Int32Array | Uint32Array | Float64Array;

/**
 * `array` itself when it holds `capacity` values, else a copy of it that does (twice its length by
 * default): the amortised growth of the typed arrays that columns, counts and dictionaries append to.
 */
export function grown<T extends Growable>(array: T, capacity = array.length * 2): T {
  if (array.length >= capacity) return array;
  const bigger = new (array.constructor as new (n: number) => T)(capacity);
  bigger.set(array);
  return bigger;
}
