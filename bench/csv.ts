import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse';
import { ByteDictionary } from '../shared/data/byte_dictionary';
import { fieldKey, fieldNumber, type Trimmed } from '../shared/data/record_cells';
import { readCsv } from '../shared/data/csv';
import { parseDatasetConfig } from '../shared/pipeline/dataset_config';
import { writeFraudCsv } from '../shared/data/synthetic';
import { validateCsv } from '../shared/data/csv_validation';

/**
 * CSV reading on the demo schema (`npm run bench:csv [rows]`, default 1 M): csv-parse as the old reader
 * used it, mloop's scanner alone, the scanner feeding typed columns (numbers parsed from the bytes, the
 * category through a byte dictionary), and the whole validation pass. The best of three runs each, one
 * JSON line per reader.
 */
const RUNS = 3;

async function csvParse(file: string): Promise<number> {
  let rows = -1;
  const parser = createReadStream(file).pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true }));
  for await (const _ of parser) rows++;
  return rows;
}

async function scanOnly(file: string): Promise<number> {
  return (await readCsv(createReadStream(file), () => undefined, () => undefined)).rows;
}

async function toColumns(file: string, capacity: number): Promise<number> {
  const numeric = [0, 2, 4, 5, 7, 8];
  const numbers = numeric.map(() => new Float64Array(capacity));
  const codes = new Uint16Array(capacity);
  const types = new ByteDictionary();
  const key: Trimmed = { buf: new Uint8Array(0), start: 0, end: 0 };
  let row = 0;
  await readCsv(createReadStream(file), () => undefined, (rec) => {
    for (let k = 0; k < numeric.length; k++) numbers[k][row] = fieldNumber(rec, numeric[k]);
    fieldKey(rec, 1, key);
    codes[row] = types.code(key.buf, key.start, key.end) + 1;
    row++;
  });
  return row;
}

async function validation(file: string): Promise<number> {
  return (await validateCsv(createReadStream(file), parseDatasetConfig({}))).report.rows;
}

async function main() {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const dir = path.join(os.tmpdir(), 'mloop-bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `fraud-${rows}.csv`);
  if (!existsSync(file)) await writeFraudCsv(file, { rows, seed: 1 });
  const bytes = statSync(file).size;
  const readers: Array<[string, () => Promise<number>]> = [
    ['csv-parse', () => csvParse(file)],
    ['mloop-scan', () => scanOnly(file)],
    ['mloop-columns', () => toColumns(file, rows)],
    ['mloop-validate', () => validation(file)],
  ];
  for (const [parser, run] of readers) {
    let best = Infinity;
    let read = 0;
    for (let k = 0; k < RUNS; k++) {
      const started = performance.now();
      read = await run();
      best = Math.min(best, (performance.now() - started) / 1000);
    }
    if (read !== rows) throw new Error(`${parser} read ${read} rows, not ${rows}`);
    const line = { bench: 'csv', parser, rows, seconds: +best.toFixed(3), rows_per_s: Math.round(rows / best), mb_per_s: +(bytes / 1e6 / best).toFixed(1) };
    console.log(JSON.stringify(line));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
