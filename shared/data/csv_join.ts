import { createHash } from 'node:crypto';

/** One CSV to join: its bytes, and optionally a check of their SHA-256 once all were read. */
export interface JoinedSource {
  open(): Promise<AsyncIterable<Uint8Array>>;
  /** Receives the hex SHA-256 of every byte the source gave; throwing stops the join. */
  verify?(sha256: string): void;
}

/**
 * CSV sources joined byte by byte into one CSV (compose "all", a dataset in CSV parts): the header line
 * kept from the first source that has any bytes (an export's empty partition has no header to drop), and
 * a line break put between sources whose last line lacks one, so a row never runs into the next source's
 * first row.
 */
export async function* joinCsv(sources: Iterable<JoinedSource>): AsyncGenerator<Buffer> {
  let headerSeen = false;
  let last = 0x0a;
  for (const source of sources) {
    const hash = source.verify ? createHash('sha256') : null;
    let skipping = headerSeen;
    let separate = last !== 0x0a;
    let empty = true;
    for await (const chunk of await source.open()) {
      let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      hash?.update(bytes);
      if (bytes.length > 0) empty = false;
      if (skipping) {
        const newline = bytes.indexOf(0x0a);
        if (newline < 0) continue;
        bytes = bytes.subarray(newline + 1);
        skipping = false;
      }
      if (bytes.length === 0) continue;
      if (separate) yield Buffer.from('\n');
      separate = false;
      last = bytes[bytes.length - 1];
      yield bytes;
    }
    if (!empty) headerSeen = true;
    if (hash) source.verify!(hash.digest('hex'));
  }
}
