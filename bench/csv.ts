import { spawnSync } from 'node:child_process';
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
import { readTable, type TableInput } from '../shared/data/table';
import { parquetFileSource } from '../shared/data/parquet/source';

/**
 * CSV reading on the demo schema (`npm run bench:csv [rows]`, default 1 M): csv-parse as the old reader
 * used it, mloop's scanner alone, the scanner feeding typed columns (numbers parsed from the bytes, the
 * category through a byte dictionary), and the whole validation pass. The best of three runs each, one
 * JSON line per reader.
 *
 * Then CSV against Parquet, each table written both ways by pyarrow (zstd, dictionary-encoded strings,
 * nulls): the real credit_data table (R's modeldata, exported by bench/real_data.py; it has missing
 * values) repeated to the same row count, and the demo table. Each is read as records and through the
 * whole validation pass. pyarrow comes from MLOOP_BENCH_PARQUET_VENV (default <tmp>/mloop-pyarrow-venv),
 * made from the wheels in MLOOP_WHEELS (default /opt/pypi/files) when absent.
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

const VENV = process.env.MLOOP_BENCH_PARQUET_VENV ?? path.join(os.tmpdir(), 'mloop-pyarrow-venv');
const WHEELS = process.env.MLOOP_WHEELS ?? '/opt/pypi/files';
const REAL_DIR = path.join(os.tmpdir(), 'mloop-bench-real');

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
}

function python(packages: string[]): string {
  const bin = path.join(VENV, 'bin', 'python');
  if (!existsSync(bin)) run('python3', ['-m', 'venv', VENV]);
  const missing = packages.filter((p) => spawnSync(bin, ['-c', `import ${p}`]).status !== 0);
  if (missing.length) run(path.join(VENV, 'bin', 'pip'), ['install', '--quiet', '--no-index', '--find-links', WHEELS, ...missing]);
  return bin;
}

const script = (name: string) => path.join(__dirname, '..', '..', 'bench', name);

async function records(input: TableInput): Promise<number> {
  return (await readTable(input, () => undefined, () => undefined)).rows;
}

/** The best of RUNS: wall seconds, and the CPU seconds of this process (all its threads), which a loaded machine disturbs less. */
async function best(run: () => Promise<number>, rows: number, what: string): Promise<{ seconds: number; cpu: number }> {
  let seconds = Infinity;
  let cpu = Infinity;
  for (let k = 0; k < RUNS; k++) {
    const started = performance.now();
    const used = process.cpuUsage();
    const read = await run();
    const spent = process.cpuUsage(used);
    seconds = Math.min(seconds, (performance.now() - started) / 1000);
    cpu = Math.min(cpu, (spent.user + spent.system) / 1e6);
    if (read !== rows) throw new Error(`${what} read ${read} rows, not ${rows}`);
  }
  return { seconds, cpu };
}

/** The same table as CSV and as Parquet: rows per second of each, and Parquet's ratio to CSV in this run. */
async function csvAgainstParquet(dataset: string, csv: string, parquet: string, target: Record<string, string>, rows: number): Promise<void> {
  const config = parseDatasetConfig(target);
  for (const [pass, read] of [
    ['records', (input: TableInput) => records(input)],
    ['validate', async (input: TableInput) => (await validateCsv(input, config)).report.rows_read],
  ] as const) {
    const csvTime = await best(() => read(createReadStream(csv)), rows, `${dataset} csv ${pass}`);
    const parquetTime = await best(async () => read(await parquetFileSource(parquet)), rows, `${dataset} parquet ${pass}`);
    for (const [format, { seconds, cpu }, file] of [['csv', csvTime, csv], ['parquet', parquetTime, parquet]] as const) {
      const line = { bench: 'csv', parser: `mloop-${pass}`, format, dataset, rows, seconds: +seconds.toFixed(3), rows_per_s: Math.round(rows / seconds), cpu_s: +cpu.toFixed(3), mb: +(statSync(file).size / 1e6).toFixed(1) };
      const ratios = { vs_csv: +(csvTime.seconds / seconds).toFixed(2), vs_csv_cpu: +(csvTime.cpu / cpu).toFixed(2), load_1m: os.loadavg()[0] };
      console.log(JSON.stringify(format === 'parquet' ? { ...line, ...ratios } : line));
    }
  }
}

async function parquetLines(rows: number, dir: string, demoCsv: string): Promise<void> {
  const py = python(['pyarrow']);
  const realCsv = path.join(REAL_DIR, 'credit_data.csv');
  if (!existsSync(realCsv)) run(python(['pyarrow', 'rdata', 'pandas']), [script('real_data.py'), 'export', REAL_DIR]);
  const real = path.join(dir, `credit_data-${rows}`);
  if (!existsSync(`${real}.parquet`)) run(py, [script('parquet_data.py'), 'real', realCsv, String(rows), real]);
  await csvAgainstParquet('credit_data', `${real}.csv`, `${real}.parquet`, { target: 'Status', positive_class: 'bad' }, rows);
  const demoParquet = demoCsv.replace(/\.csv$/, '.parquet');
  if (!existsSync(demoParquet)) run(py, [script('parquet_data.py'), 'convert', demoCsv, demoParquet]);
  await csvAgainstParquet('demo', demoCsv, demoParquet, { target: 'isFraud' }, rows);
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
  if (process.env.MLOOP_BENCH_PARQUET !== '0') await parquetLines(rows, dir, file);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
