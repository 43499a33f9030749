/**
 * Texts appended one after another as UTF-8 bytes in one growing buffer, with where each ends: what a
 * server keeps of every request until its log's flush (the request ids), without a string per request
 * for the garbage collector to promote and scan. Emptied for reuse, it keeps its memory.
 */
export class Utf8List {
  private buffer: Buffer;
  private ends: Int32Array;
  length = 0;

  /** `capacity` texts of about `bytesEach` bytes before anything is copied to grow. */
  constructor(capacity = 1024, bytesEach = 40) {
    this.buffer = Buffer.allocUnsafe(Math.max(64, capacity * bytesEach));
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
    return this.buffer.toString('utf8', i === 0 ? 0 : this.ends[i - 1], this.ends[i]);
  }

  clear(): void {
    this.length = 0;
  }

  /** Its bytes cut to what the texts use, once no more will be pushed (a long-lived list). */
  trim(): this {
    this.buffer = Buffer.from(this.buffer.subarray(0, this.length === 0 ? 0 : this.ends[this.length - 1]));
    return this;
  }
}

function copyInto(target: Buffer, source: Buffer, length: number): Buffer {
  source.copy(target, 0, 0, length);
  return target;
}
