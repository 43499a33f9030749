import { grown } from './grown';

/**
 * Distinct byte strings → dense codes 0, 1, 2…, in order of first appearance, without making a string
 * per lookup: a category column of six million rows costs six million hash probes, not six million
 * strings. Open addressing with linear probing; keys live back to back in one growing byte arena.
 */
export class ByteDictionary {
  private arena = new Uint8Array(1 << 12);
  private used = 0;
  private offsets: Int32Array = new Int32Array(64);
  private lengths: Int32Array = new Int32Array(64);
  private hashes: Int32Array = new Int32Array(64);
  /** Code + 1 per slot; 0 is empty. */
  private table = new Int32Array(128);
  private texts: string[] = [];
  size = 0;
  /** The hash of the key last passed to code(), for callers that also estimate cardinality. */
  lastHash = 0;

  /** @param capacity codes beyond it are not created; code() answers -1 for a new key. */
  constructor(readonly capacity = Infinity) {}

  code(buf: Uint8Array, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let k = start; k < end; k++) h = Math.imul(h ^ buf[k], 0x01000193);
    this.lastHash = h;
    const mask = this.table.length - 1;
    const len = end - start;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot];
      if (entry === 0) break;
      const code = entry - 1;
      if (this.hashes[code] === h && this.lengths[code] === len && this.equals(code, buf, start, len)) return code;
    }
    if (this.size >= this.capacity) return -1;
    return this.insert(buf, start, len, h);
  }

  text(code: number): string {
    let text = this.texts[code];
    if (text === undefined) {
      const at = this.offsets[code];
      text = Buffer.from(this.arena.buffer, this.arena.byteOffset + at, this.lengths[code]).toString('utf8');
      this.texts[code] = text;
    }
    return text;
  }

  private equals(code: number, buf: Uint8Array, start: number, len: number): boolean {
    const at = this.offsets[code];
    const arena = this.arena;
    for (let k = 0; k < len; k++) if (arena[at + k] !== buf[start + k]) return false;
    return true;
  }

  private insert(buf: Uint8Array, start: number, len: number, h: number): number {
    const code = this.size++;
    if (code === this.offsets.length) {
      this.offsets = grown(this.offsets);
      this.lengths = grown(this.lengths);
      this.hashes = grown(this.hashes);
    }
    if (this.used + len > this.arena.length) {
      const arena = new Uint8Array(Math.max(this.arena.length * 2, this.used + len));
      arena.set(this.arena.subarray(0, this.used));
      this.arena = arena;
    }
    this.arena.set(buf.subarray(start, start + len), this.used);
    this.offsets[code] = this.used;
    this.lengths[code] = len;
    this.hashes[code] = h;
    this.used += len;
    // Kept at most half full, so that probes stay short.
    if (this.size * 2 > this.table.length) this.rehash();
    else this.place(code, h);
    return code;
  }

  private place(code: number, h: number): void {
    const mask = this.table.length - 1;
    let slot = h & mask;
    while (this.table[slot] !== 0) slot = (slot + 1) & mask;
    this.table[slot] = code + 1;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2);
    for (let code = 0; code < this.size; code++) this.place(code, this.hashes[code]);
  }
}
