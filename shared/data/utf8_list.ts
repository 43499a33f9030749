/**
 * Texts appended one after another as UTF-8 bytes in one growing buffer, with where each ends: what a
 * server keeps of every request until its log's flush (the request ids), without a string per request
 * for the garbage collector to promote and scan. Emptied for reuse, it keeps its memory.
 */
export class Utf8List {
  private buffer: Buffer;
  private ends: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.buffer = Buffer.allocUnsafe(capacity * 40);
    this.ends = new Int32Array(capacity);
  }

  /** Appends the text; its index is the length before. */
  push(text: string): number {
    const at = this.length === 0 ? 0 : this.ends[this.length - 1];
    // a UTF-16 unit is at most 3 bytes of UTF-8
    if (at + text.length * 3 > this.buffer.length) this.buffer = copyInto(Buffer.allocUnsafe(Math.max(this.buffer.length * 2, at + text.length * 3)), this.buffer, at);
    if (this.length === this.ends.length) {
      const ends = new Int32Array(this.ends.length * 2);
      ends.set(this.ends);
      this.ends = ends;
    }
    this.ends[this.length] = at + this.buffer.write(text, at, 'utf8');
    return this.length++;
  }

  /** The bytes of the i-th text: a view, valid until the next push or clear. */
  bytes(i: number): Buffer {
    return this.buffer.subarray(i === 0 ? 0 : this.ends[i - 1], this.ends[i]);
  }

  text(i: number): string {
    return this.bytes(i).toString('utf8');
  }

  clear(): void {
    this.length = 0;
  }
}

function copyInto(target: Buffer, source: Buffer, length: number): Buffer {
  source.copy(target, 0, 0, length);
  return target;
}
