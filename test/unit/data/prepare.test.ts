import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { MloopError } from '../../../shared/core/errors';
import { parseDatasetConfig } from '../../../shared/pipeline/dataset_config';
import { encodedWidth, encodeRecords, validateInstances } from '../../../shared/data/encoding';
import { prepareTrainingData, type PreparedData } from '../../../shared/data/prepare';
import { seededRandom } from '../../../shared/data/random';
import { writeFraudCsv } from '../../../shared/data/synthetic';

const fromText = (text: string) => async () => Readable.from([Buffer.from(text)]);
const sum = (y: ArrayLike<number>) => Array.from(y).reduce((a, b) => a + b, 0);
const count = (y: ArrayLike<number>, value: number) => Array.from(y).filter((v) => v === value).length;

/** The holdout keeps the file's own strings, and re-encoding them gives exactly the training matrix. */
function expectHoldoutMatches(data: PreparedData) {
  expect(data.test.text.records()).toHaveLength(data.test.n);
  expect(Array.from(encodeRecords(data.test.text.records(), data.specs))).toEqual(Array.from(data.test.X));
}

describe('prepareTrainingData', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mloop-prepare-'));
    file = path.join(dir, 'paysim.csv');
    await writeFraudCsv(file, { rows: 6000, seed: 21 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('turns a PaySim CSV into encoded, stratified splits and a raw holdout (the default binary path)', async () => {
    const data = await prepareTrainingData(async () => createReadStream(file), parseDatasetConfig({}));
    const width = encodedWidth(data.specs);
    expect(data.specs.map((s) => s.name)).toEqual(['step', 'type', 'amount', 'oldbalanceOrg', 'newbalanceOrig', 'oldbalanceDest', 'newbalanceDest']);
    expect(width).toBe(11);
    expect(data.dropped).toEqual([
      { name: 'nameOrig', reason: 'id-like' },
      { name: 'nameDest', reason: 'id-like' },
      { name: 'isFraud', reason: 'target' },
    ]);
    expect([data.task, data.target, data.classes]).toEqual(['binary', 'isFraud', ['0', '1']]);
    const { train, validation, test, report } = data;
    expect(train.n + validation.n + test.n).toBe(6000);
    expect(report).toMatchObject({ task: 'binary', rows: 6000, rows_read: 6000, rows_usable: 6000, sampled: false, rejectedCount: 0, rejected: [] });
    expect(report.positives! + report.negatives!).toBe(6000);
    for (const split of [train, validation, test]) {
      expect(split.X).toHaveLength(split.n * width);
      expect(split.y).toBeInstanceOf(Float32Array);
      expect(split.y).toHaveLength(split.n);
      expect(sum(split.y)).toBeGreaterThan(0);
    }
    expect(sum(train.y) / train.n).toBeCloseTo(report.positives! / 6000, 3);

    expect(Object.keys(test.text.record(0))).toEqual(data.specs.map((s) => s.name));
    expect(test.text.record(0).amount).toMatch(/^\d+\.\d\d$/);
    expectHoldoutMatches(data);

    expect(report.columns.find((c) => c.name === 'amount')).toMatchObject({ kind: 'numeric', missing: 0, min: expect.any(Number), mean: expect.any(Number) });
    expect(report.columns.find((c) => c.name === 'type')).toMatchObject({ kind: 'categorical', unique: 5 });
    expect(report.columns.find((c) => c.name === 'nameOrig')).toMatchObject({ kind: 'dropped', reason: 'id-like', missing: 0 });
  });

  it('is deterministic for a seed', async () => {
    const open = async () => createReadStream(file);
    const a = await prepareTrainingData(open, parseDatasetConfig({ seed: 5 }));
    const b = await prepareTrainingData(open, parseDatasetConfig({}), { seed: 5 });
    expect(b.test.X).toEqual(a.test.X);
    expect(b.specs).toEqual(a.specs);
  });

  it('maps a string target with positive_class, fits on train only and rejects bad rows with reasons', async () => {
    const lines = ['income,segment,default,customer_id'];
    for (let i = 0; i < 2100; i++) {
      const income = i % 17 === 0 ? '' : String(1000 + ((i * 37) % 500));
      lines.push(`${income},${['a', 'b', 'c'][i % 3]},${i % 5 === 0 ? 'Yes' : 'No'},${i}`);
    }
    lines.splice(20, 0, '5,a,,y');
    lines.splice(2040, 0, '5,a,Maybe,x');
    lines.splice(2050, 0, '5,a');
    const data = await prepareTrainingData(fromText(lines.join('\n')), parseDatasetConfig({ target: 'default', positive_class: 'Yes' }));
    expect(data.classes).toEqual(['No', 'Yes']);
    expect(data.report.rows).toBe(2100);
    expect(data.report.rows_read).toBe(2103);
    expect(data.report.positives).toBe(420);
    expect(data.report.rejectedCount).toBe(3);
    expect(data.report.rejected).toEqual([
      { line: 21, reason: 'missing target "default"' },
      { line: 2041, reason: 'target "default" is "Maybe", expected "Yes" or "No"' },
      { line: 2051, reason: 'has 2 fields but the header has 4' },
    ]);
    expect(data.dropped).toContainEqual({ name: 'customer_id', reason: 'id-like' });
    const [income] = data.specs;
    if (income.kind !== 'numeric') throw new Error('income should be numeric');
    expect(income.fill).toBe(income.mean);
    // Fitted on the train split: its encoded column (missing → the mean) averages to the fitted mean,
    // which is not the mean over all rows.
    const width = encodedWidth(data.specs);
    let total = 0;
    for (let i = 0; i < data.train.n; i++) total += data.train.X[i * width];
    expect(total / data.train.n).toBeCloseTo(income.mean, 2);
    expect(income.mean).not.toBeCloseTo(data.report.columns[0].mean!, 4);
    expect(data.report.columns.find((c) => c.name === 'income')!.missing).toBe(124);
    expectHoldoutMatches(data);
  });

  it('fails clearly when a class is absent from the whole file, or too rare to split', async () => {
    const text = ['x,isFraud', ...Array.from({ length: 50 }, (_, i) => `${i % 7},0`)].join('\n');
    await expect(prepareTrainingData(fromText(text), parseDatasetConfig({}))).rejects.toThrow(/"isFraud" is "0" in all 50 rows; "1" never occurs/);
    const two = ['x,isFraud', ...Array.from({ length: 50 }, (_, i) => `${i % 7},${i < 2 ? 1 : 0}`)].join('\n');
    await expect(prepareTrainingData(fromText(two), parseDatasetConfig({}))).rejects.toThrow(/at least 3 of each/);
    await expect(prepareTrainingData(fromText('x,isFraud\n'), parseDatasetConfig({}))).rejects.toBeInstanceOf(MloopError);
  });
});

describe('prepareTrainingData for other tasks', () => {
  /** x decides the class (or the value) so the splits carry signal; `kind` is a categorical feature. */
  function table(n: number, target: (i: number, x: number) => string, seed = 1): string {
    const random = seededRandom(seed);
    const rows = ['x,kind,flag,y'];
    for (let i = 0; i < n; i++) {
      const x = Math.round(random.next() * 1000) / 10;
      rows.push(`${x},${['u', 'v', 'w'][i % 3]},${i % 4 === 0 ? 'yes' : 'no'},${target(i, x)}`);
    }
    return rows.join('\r\n');
  }

  it('detects a multiclass target and labels rows by class index, stratified', async () => {
    const species = ['setosa', 'versicolor', 'virginica', 'other'];
    const data = await prepareTrainingData(fromText(table(900, (i) => species[i % 4])), parseDatasetConfig({ target: 'y' }));
    expect(data.task).toBe('multiclass');
    expect(data.classes).toEqual(['other', 'setosa', 'versicolor', 'virginica']);
    expect(data.report.class_counts).toEqual({ other: 225, setosa: 225, versicolor: 225, virginica: 225 });
    expect(data.report.positives).toBeUndefined();
    for (const split of [data.train, data.validation, data.test]) {
      for (let k = 0; k < 4; k++) expect(count(split.y, k) / split.n).toBeCloseTo(0.25, 1);
    }
    expect(data.specs.map((s) => s.kind)).toEqual(['numeric', 'categorical', 'boolean']);
    expectHoldoutMatches(data);
  });

  it('orders integer classes numerically', async () => {
    const data = await prepareTrainingData(fromText(table(300, (i) => String([10, 2, 3][i % 3]))), parseDatasetConfig({ target: 'y' }));
    expect([data.task, data.classes]).toEqual(['multiclass', ['2', '3', '10']]);
  });

  it('detects a numeric target as a regression and keeps the values as y', async () => {
    const text = table(600, (i, x) => (x * 2.5 + (i % 7)).toFixed(2));
    const data = await prepareTrainingData(fromText(text), parseDatasetConfig({ target: 'y' }));
    expect([data.task, data.classes]).toEqual(['regression', null]);
    expect(data.report.target_stats).toMatchObject({ min: expect.any(Number), max: expect.any(Number), mean: expect.any(Number) });
    const width = encodedWidth(data.specs);
    // y is the value itself, next to the x it was made from
    for (let i = 0; i < data.train.n; i++) {
      const x = data.train.X[i * width];
      expect(data.train.y[i] - x * 2.5).toBeGreaterThanOrEqual(-0.01);
      expect(data.train.y[i] - x * 2.5).toBeLessThanOrEqual(6.01);
    }
    expect(data.train.n + data.validation.n + data.test.n).toBe(600);
    expectHoldoutMatches(data);
  });

  it('takes the task from mloop.json: integer classes as a regression, and rejects non-numbers then', async () => {
    const text = table(300, (i) => (i === 7 ? 'n/a!' : String(i % 5)));
    const data = await prepareTrainingData(fromText(text), parseDatasetConfig({ target: 'y', task: 'regression' }));
    expect(data.task).toBe('regression');
    expect(data.report.rejected).toEqual([{ line: 9, reason: 'target "y" is "n/a!", not a number' }]);
  });

  it('remembers the words a numeric column held beside its numbers, which it read as missing, so that scoring takes them', async () => {
    const cells = (i: number) => (i === 3 ? ' n/a ' : i === 250 ? '?' : i === 9 ? 'NA' : String(i % 17));
    const text = ['amount,y', ...Array.from({ length: 400 }, (_, i) => `${cells(i)},${i % 2}`)].join('\n') + '\n';
    const data = await prepareTrainingData(fromText(text), parseDatasetConfig({ target: 'y' }));
    expect(data.specs).toEqual([expect.objectContaining({ name: 'amount', kind: 'numeric', missing_words: ['?', 'n/a'] })]);
    const fill = data.specs[0].kind === 'numeric' ? data.specs[0].fill : NaN;
    expect(Array.from(encodeRecords([{ amount: 'n/a' }, { amount: '?' }, { amount: null }], data.specs))).toEqual([fill, fill, fill].map(Math.fround));
    expect(validateInstances([{ amount: 'n/a', y: '1' }, { amount: '?' }], data.specs, ['y']).ok).toBe(true);
    expect(validateInstances([{ amount: 'lots' }], data.specs, ['y'])).toMatchObject({ ok: false, errors: [{ field: 'amount' }] });
    expectHoldoutMatches(data);
  });

  it('explains a target with too many classes to classify', async () => {
    const text = table(300, (i) => `c${i}`);
    await expect(prepareTrainingData(fromText(text), parseDatasetConfig({ target: 'y' }))).rejects.toThrow(/300 distinct values, more than the 50 classes/);
  });

  it('samples stratified on the target, deterministically, keeping every class', async () => {
    const text = table(5000, (i) => (i % 100 === 0 ? '1' : '0'));
    const cfg = parseDatasetConfig({ target: 'y' });
    const a = await prepareTrainingData(fromText(text), cfg, { sample: 1000, seed: 3 });
    expect(a.report).toMatchObject({ rows: 1000, rows_usable: 5000, sampled: true, positives: 10, negatives: 990 });
    expect(a.train.n + a.validation.n + a.test.n).toBe(1000);
    for (const split of [a.train, a.validation, a.test]) expect(sum(split.y)).toBeGreaterThan(0);
    expectHoldoutMatches(a);
    const b = await prepareTrainingData(fromText(text), cfg, { sample: 1000, seed: 3 });
    expect(b.test.X).toEqual(a.test.X);
    expect(b.test.text.records()).toEqual(a.test.text.records());
    const c = await prepareTrainingData(fromText(text), cfg, { sample: 1000, seed: 4 });
    expect(c.test.X).not.toEqual(a.test.X);
    // the sample comes from the whole file, not its start
    const xs = a.test.text.records().map((r) => Number(r.x));
    expect(Math.max(...xs)).toBeGreaterThan(90);
  });

  it('keeps a rare class in a small sample, and takes sample from mloop.json or the caller', async () => {
    const text = table(3000, (i) => (i % 1000 === 0 ? '1' : '0'));
    const fromConfig = await prepareTrainingData(fromText(text), parseDatasetConfig({ target: 'y', sample: 300 }));
    expect(fromConfig.report).toMatchObject({ rows: 300, positives: 3 });
    const caller = await prepareTrainingData(fromText(text), parseDatasetConfig({ target: 'y', sample: 300 }), { sample: 5000 });
    expect(caller.report).toMatchObject({ rows: 3000, sampled: false });
  });

  it('splits by a time column: oldest 70 % train, next 15 % validation, latest 15 % test', async () => {
    const random = seededRandom(9);
    const rows = ['when,x,y'];
    const times: number[] = [];
    for (let i = 0; i < 400; i++) {
      // out of order in the file, dates and numbers alike
      const day = Math.floor(random.next() * 1000);
      times.push(day);
      rows.push(`${new Date(Date.UTC(2024, 0, 1) + day * 86_400_000).toISOString()},${day},${i % 2 ? 'yes' : 'no'}`);
    }
    const data = await prepareTrainingData(fromText(rows.join('\n')), parseDatasetConfig({ target: 'y', time_column: 'when' }));
    expect(data.dropped).toContainEqual({ name: 'when', reason: 'time' });
    expect(data.specs.map((s) => s.name)).toEqual(['x']);
    const days = (split: PreparedData['train']) => Array.from({ length: split.n }, (_, i) => split.X[i]);
    expect([data.train.n, data.validation.n, data.test.n]).toEqual([280, 60, 60]);
    expect(Math.max(...days(data.train))).toBeLessThanOrEqual(Math.min(...days(data.validation)));
    expect(Math.max(...days(data.validation))).toBeLessThanOrEqual(Math.min(...days(data.test)));
    expect(Math.max(...days(data.test))).toBe(Math.max(...times));
    // the model card's time range: the prepared rows' earliest and latest dates
    const day = (d: number) => Date.UTC(2024, 0, 1) + d * 86_400_000;
    expect(data.report.time_range).toEqual({ column: 'when', from: day(Math.min(...times)), to: day(Math.max(...times)) });
  });

  it("gives the training rows' raw columns and the holdout's own spellings, read back from the matrices and bytes it keeps", async () => {
    // x: which file row a matrix row is (i + 0.5, which no id looks like); m: missing on every 7th row, spelt with trailing zeros; kind: a category
    const cell = (i: number) => (i % 7 === 0 ? '' : `${(i * 0.25).toFixed(2)}`);
    const kinds = ['a', 'b', 'é"c'];
    const kindCell = (i: number) => (i % 3 === 2 ? '"é""c"' : kinds[i % 3]);
    const rows = ['x,m,kind,y', ...Array.from({ length: 700 }, (_, i) => `${i + 0.5},${cell(i)},${kindCell(i)},${i % 5 === 0 ? 1 : 0}`)];
    const data = await prepareTrainingData(fromText(rows.join('\n')), parseDatasetConfig({ target: 'y' }));
    expect(data.specs.map((s) => s.name)).toEqual(['x', 'm', 'kind']);
    const width = encodedWidth(data.specs);
    const ids = Array.from({ length: data.train.n }, (_, i) => data.train.X[i * width] - 0.5);
    const columns = data.trainColumns();
    const m = columns.find((c) => c.name === 'm')!;
    const present = ids.filter((i) => i % 7 !== 0);
    expect(m).toEqual({ name: 'm', kind: 'numeric', values: Float32Array.from(present, (i) => i * 0.25), missing: ids.length - present.length });
    expect(m.missing).toBeGreaterThan(0);
    expect(columns.find((c) => c.name === 'x')).toEqual({ name: 'x', kind: 'numeric', values: Float32Array.from(ids, (i) => i + 0.5), missing: 0 });
    const counts = new Map<string, number>();
    for (const i of ids) counts.set(kinds[i % 3], (counts.get(kinds[i % 3]) ?? 0) + 1);
    expect(columns.find((c) => c.name === 'kind')).toEqual({ name: 'kind', kind: 'categorical', counts, missing: 0 });
    // the holdout's cells exactly as the file spells them (unquoted), row by row
    const testIds = Array.from({ length: data.test.n }, (_, i) => data.test.X[i * width] - 0.5);
    expect(data.test.text.records()).toEqual(testIds.map((i) => ({ x: String(i + 0.5), m: cell(i), kind: kinds[i % 3] })));
    expect(data.test.text.cell(1, 'm')).toBe(cell(testIds[1]));
    expectHoldoutMatches(data);
  });

  it('keeps a slice column that is no feature in the holdout rows, and only there', async () => {
    const rows = ['segment,x,y', ...Array.from({ length: 200 }, (_, i) => `${i % 3 === 0 ? 'gold' : 'basic'},${i % 7},${i % 2 ? 'yes' : 'no'}`)];
    const sliced = await prepareTrainingData(fromText(rows.join('\n')), parseDatasetConfig({ target: 'y', drop: ['segment'], slices: ['segment'] }));
    expect(sliced.specs.map((s) => s.name)).toEqual(['x']);
    expect(sliced.dropped).toContainEqual({ name: 'segment', reason: 'user-drop' });
    expect(new Set(sliced.test.text.records().map((r) => r.segment))).toEqual(new Set(['gold', 'basic']));
    expectHoldoutMatches(sliced);
    const plain = await prepareTrainingData(fromText(rows.join('\n')), parseDatasetConfig({ target: 'y', drop: ['segment'] }));
    expect(plain.test.text.records()[0]).not.toHaveProperty('segment');
    expect(plain.report.time_range).toBeUndefined();
  });

  it('rejects rows whose time is missing or unreadable, and says when a split by time lacks a class', async () => {
    const rows = ['t,x,y', ...Array.from({ length: 100 }, (_, i) => `${i},${i % 9},${i < 90 ? 0 : 1}`)];
    rows.splice(5, 0, ',1,0', 'soon,1,0');
    await expect(prepareTrainingData(fromText(rows.join('\n')), parseDatasetConfig({ target: 'y', time_column: 't' }))).rejects.toThrow(
      /split by time, the train rows have no "1" rows of target "y"/,
    );
    const mixed = rows.map((r, i) => (i > 6 ? r.replace(/,(\d)$/, (_, y) => `,${i % 2}`) : r));
    const data = await prepareTrainingData(fromText(mixed.join('\n')), parseDatasetConfig({ target: 'y', time_column: 't' }));
    expect(data.report.rejected).toEqual([
      { line: 6, reason: 'missing time "t"' },
      { line: 7, reason: 'time "t" is "soon", neither a number nor a date' },
    ]);
    await expect(prepareTrainingData(fromText(mixed.join('\n')), parseDatasetConfig({ target: 'y', time_column: 'when' }))).rejects.toThrow(
      /time column "when" is not in the file/,
    );
  });
});
