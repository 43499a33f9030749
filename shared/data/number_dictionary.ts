/**
 * Distinct doubles → dense codes 0, 1, 2…, in order of first appearance, keyed by their bits: a typed
 * numeric column (Parquet) is counted without writing each value out as text, which is what keying it
 * as a CSV field's bytes would cost. -0 is counted as 0, since both read "0". Open addressing with
 * linear probing, as ByteDictionary.
 */
const bits = new Float64Array(1);
const words = new Int32Array(bits.buffer);

export class NumberDictionary {
  private keys = new Float64Array(64);
  /** Code + 1 per slot; 0 is empty. */
  private table = new Int32Array(128);
  size = 0;

  /** code() answers -1 for a new key when `canAdd` is false. */
  code(x: number, canAdd: boolean): number {
    if (x === 0) x = 0;
    bits[0] = x;
    let h = Math.imul(words[0] ^ Math.imul(words[1], 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    const mask = this.table.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot];
      if (entry === 0) {
        if (!canAdd) return -1;
        return this.insert(x, slot);
      }
      if (this.keys[entry - 1] === x) return entry - 1;
    }
  }

  value(code: number): number {
    return this.keys[code];
  }

  private insert(x: number, slot: number): number {
    const code = this.size++;
    if (code === this.keys.length) {
      const keys = new Float64Array(this.keys.length * 2);
      keys.set(this.keys);
      this.keys = keys;
    }
    this.keys[code] = x;
    this.table[slot] = code + 1;
    // Kept at most half full, so that probes stay short.
    if (this.size * 2 > this.table.length) this.rehash();
    return code;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    this.table = table;
    for (let code = 0; code < this.size; code++) {
      bits[0] = this.keys[code];
      let h = Math.imul(words[0] ^ Math.imul(words[1], 0x9e3779b1), 0x85ebca6b);
      h ^= h >>> 15;
      let slot = h & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = code + 1;
    }
  }
}
