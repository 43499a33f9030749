import { Readable } from 'node:stream';
import { parseDatasetConfig } from '../../../shared/pipeline/dataset_config';
import { encodedWidth } from '../../../shared/data/encoding';
import { prepareTrainingData } from '../../../shared/data/prepare';
import { allocateSample, StratifiedReservoir } from '../../../shared/data/sample';
import { FRAUD_COLUMNS, fraudRows } from '../../../shared/data/synthetic';

describe('allocateSample', () => {
  it('keeps the class proportions, summing to the sample', () => {
    expect(allocateSample([9000, 1000], 1000, 3)).toEqual([900, 100]);
    expect(allocateSample([500, 300, 200], 7, 0)).toEqual([4, 2, 1]);
    expect(allocateSample([5, 5], 100, 3)).toEqual([5, 5]);
  });

  it('gives a rare class at least the minimum, taken from the largest', () => {
    expect(allocateSample([99_990, 10], 100, 3)).toEqual([97, 3]);
    expect(allocateSample([99_990, 2, 8], 50, 3)).toEqual([45, 2, 3]);
  });
});

describe('StratifiedReservoir', () => {
  const draw = (seed: number) => {
    const reservoir = new StratifiedReservoir([10, 2], seed);
    const slots = new Int32Array(12).fill(-1);
    for (let row = 0; row < 1000; row++) {
      const slot = reservoir.offer(row % 10 === 0 ? 1 : 0);
      if (slot >= 0) slots[slot] = row;
    }
    return Array.from(slots);
  };

  it('fills each stratum with its quota of its own rows, the same for a seed', () => {
    const slots = draw(1);
    expect(slots.slice(0, 10).every((row) => row >= 0 && row % 10 !== 0)).toBe(true);
    expect(slots.slice(10).every((row) => row % 10 === 0)).toBe(true);
    expect(draw(1)).toEqual(slots);
    expect(draw(2)).not.toEqual(slots);
  });

  it('draws every row with the same chance', () => {
    const hits = new Float64Array(100);
    for (let seed = 0; seed < 2000; seed++) {
      const reservoir = new StratifiedReservoir([10], seed);
      const slots = new Int32Array(10);
      for (let row = 0; row < 100; row++) {
        const slot = reservoir.offer(0);
        if (slot >= 0) slots[slot] = row;
      }
      for (const row of slots) hits[row]++;
    }
    // each row is kept 200 times in expectation (2000 draws × 10/100); binomial sd ≈ 13.4
    expect(Math.min(...hits)).toBeGreaterThan(140);
    expect(Math.max(...hits)).toBeLessThan(260);
  });
});

describe('sampling a large stream', () => {
  it('holds only the sample: the file streams past in chunks and the matrices are sized by the sample', async () => {
    const rows = 150_000;
    const chunks: Buffer[] = [Buffer.from(`${FRAUD_COLUMNS.join(',')}\n`)];
    let positives = 0;
    let chunk = '';
    for (const r of fraudRows(rows, 17)) {
      positives += r.isFraud;
      chunk += `${FRAUD_COLUMNS.map((c) => r[c]).join(',')}\n`;
      if (chunk.length > 60_000) {
        chunks.push(Buffer.from(chunk));
        chunk = '';
      }
    }
    chunks.push(Buffer.from(chunk));
    const data = await prepareTrainingData(async () => Readable.from(chunks), parseDatasetConfig({}), { sample: 2000, seed: 1 });
    const width = encodedWidth(data.specs);
    expect(data.report).toMatchObject({ rows: 2000, rows_read: rows, rows_usable: rows, sampled: true });
    expect(data.train.X.length + data.validation.X.length + data.test.X.length).toBe(2000 * width);
    expect(data.test.text.records()).toHaveLength(data.test.n);
    // stratified: the sample's positive rate is the file's, to the row
    expect(data.report.positives).toBe(Math.round((positives * 2000) / rows));
  });
});
