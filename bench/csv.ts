import { existsSync, mkdirSync, statSync, createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse';
import { fieldKey, fieldNumber, type Trimmed } from '../shared/data/cells';
import { ByteDictionary } from '../shared/data/byte_dictionary';
import { readCsv } from '../shared/data/csv';
import { writeFraudCsv } from '../shared/data/synthetic';

const rowsWanted = Number(process.argv[2] ?? 1_000_000);

async function main() {
  const dir = path.join(os.tmpdir(), 'mloop-bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `fraud-${rowsWanted}.csv`);
  if (!existsSync(file)) await writeFraudCsv(file, { rows: rowsWanted, seed: 1 });
  const bytes = statSync(file).size;
  const line = (parser: string, rows: number, seconds: number) =>
    console.log(JSON.stringify({ bench: 'csv', parser, rows, seconds: +seconds.toFixed(3), rows_per_s: Math.round(rows / seconds), mb_per_s: +(bytes / 1e6 / seconds).toFixed(1) }));
  for (let rep = 0; rep < 2; rep++) {
    let t = performance.now();
    let n = 0;
    const parser = createReadStream(file).pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true }));
    for await (const _ of parser) n++;
    line('csv-parse', n - 1, (performance.now() - t) / 1000);

    t = performance.now();
    const r = await readCsv(createReadStream(file), () => undefined, () => undefined);
    line('mloop-records', r.rows, (performance.now() - t) / 1000);

    t = performance.now();
    const cols = new Float64Array(rowsWanted * 6);
    const dict = new ByteDictionary();
    const codes = new Uint16Array(rowsWanted);
    const key: Trimmed = { buf: new Uint8Array(0), start: 0, end: 0 };
    let row = 0;
    const numeric = [0, 2, 4, 5, 7, 8];
    const r2 = await readCsv(createReadStream(file), () => undefined, (rec) => {
      for (let k = 0; k < 6; k++) cols[row * 6 + k] = fieldNumber(rec, numeric[k]);
      fieldKey(rec, 1, key);
      codes[row] = dict.code(key.buf, key.start, key.end);
      row++;
    });
    line('mloop-columns', r2.rows, (performance.now() - t) / 1000);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
