import { parquetMetadata, parquetSchema } from 'hyparquet';
import { decodePredictionParquet, PredictionColumns } from '../../../../shared/pipeline/store/prediction_parquet';

const T1 = '2026-05-01T10:00:00.000Z';
const T2 = '2026-05-01T10:00:01.000Z';

async function roundTrip(columns: PredictionColumns) {
  return decodePredictionParquet(columns.encode());
}

describe('the prediction log as Parquet', () => {
  it('reads back every instance of every request as the record the NDJSON log had', async () => {
    const columns = new PredictionColumns('fraud', false);
    columns.add('r1', 'v1', T1, [{ amount: 1.5, type: 'PAYMENT', flagged: true }, { amount: -2, type: 'CASH_OUT', flagged: false }], [{ score: 0.25, label: 0 }, { score: 0.75, label: 1 }]);
    columns.add('r2', 'v2', T2, [{ amount: 3e300, type: 'é ✓', flagged: true }], [{ score: 0, label: 0 }]);
    expect(await roundTrip(columns)).toEqual([
      { request_id: 'r1', index: 0, model: 'fraud', model_version: 'v1', time: T1, features: { amount: 1.5, type: 'PAYMENT', flagged: true }, prediction: { score: 0.25, label: 0 } },
      { request_id: 'r1', index: 1, model: 'fraud', model_version: 'v1', time: T1, features: { amount: -2, type: 'CASH_OUT', flagged: false }, prediction: { score: 0.75, label: 1 } },
      { request_id: 'r2', index: 0, model: 'fraud', model_version: 'v2', time: T2, features: { amount: 3e300, type: 'é ✓', flagged: true }, prediction: { score: 0, label: 0 } },
    ]);
  });

  it('keeps nulls, reads an absent field as null, and keeps mixed or nested values as JSON', async () => {
    const columns = new PredictionColumns('m', false);
    columns.add('r1', 'v1', T1, [{ a: null, b: 1, c: { x: [1, 'two'] } }, { b: 'seven', d: 'only here' }], [{ label: 'oak', top_k: [{ label: 'oak', score: 0.9 }] }, { label: 'elm', top_k: [] }]);
    const records = await roundTrip(columns);
    expect(records.map((r) => r.features)).toEqual([
      { a: null, b: 1, c: { x: [1, 'two'] }, d: null },
      { a: null, b: 'seven', c: null, d: 'only here' },
    ]);
    expect(records.map((r) => r.prediction)).toEqual([
      { label: 'oak', top_k: [{ label: 'oak', score: 0.9 }] },
      { label: 'elm', top_k: [] },
    ]);
  });

  it('writes a score that is not a finite number as null, as the NDJSON log did', async () => {
    const columns = new PredictionColumns('m', false);
    columns.add('r1', 'v1', T1, [{ a: 1 }, { a: 2 }, { a: 3 }], [{ score: Number.NaN }, { score: 0.5 }, { score: Number.POSITIVE_INFINITY }]);
    expect((await roundTrip(columns)).map((r) => r.prediction.score)).toEqual([null, 0.5, null]);
  });

  it('an instance that is not an object (an image that could not be summarised) comes back as sent', async () => {
    const columns = new PredictionColumns('leaves', false);
    columns.add('r1', 'v1', T1, [null, { image_sha256: 'ab', image_bytes: 3 }, 'text'], [{ label: 'oak' }, { label: 'elm' }, { label: 'oak' }]);
    const records = await roundTrip(columns);
    expect(records.map((r) => r.features)).toEqual([null, { image_sha256: 'ab', image_bytes: 3 }, 'text']);
    expect(records.map((r) => r.prediction.label)).toEqual(['oak', 'elm', 'oak']);
  });

  it('marks shadow records, and names columns so that fields never collide with each other or the record', async () => {
    const columns = new PredictionColumns('m', true);
    columns.add('r1', 'v9', T1, [{ index: 5, time: 'x', request_id: 'y', label: 1 }], [{ label: 0 }]);
    const [record] = await roundTrip(columns);
    expect(record).toEqual({ request_id: 'r1', index: 0, model: 'm', model_version: 'v9', time: T1, features: { index: 5, time: 'x', request_id: 'y', label: 1 }, prediction: { label: 0 }, shadow: true });
  });

  it('is a flat Parquet file a warehouse can query: typed columns named after the fields', () => {
    const columns = new PredictionColumns('fraud', false);
    columns.add('r1', 'v1', T1, [{ amount: 1, type: 'A' }], [{ score: 0.5 }]);
    const bytes = columns.encode();
    const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    const leaves = parquetSchema(metadata).children.map((c) => [c.element.name, c.element.type]);
    expect(leaves).toEqual([
      ['request_id', 'BYTE_ARRAY'],
      ['index', 'INT32'],
      ['model_version', 'BYTE_ARRAY'],
      ['time', 'BYTE_ARRAY'],
      ['features__amount', 'DOUBLE'],
      ['features__type', 'BYTE_ARRAY'],
      ['prediction__score', 'DOUBLE'],
    ]);
    expect(Number(metadata.num_rows)).toBe(1);
    expect(metadata.row_groups).toHaveLength(1);
  });

  it('keeps every value when a field changes kind part-way, appears late, or the batch outgrows its arrays', async () => {
    const columns = new PredictionColumns('m', false);
    const sent: Array<{ features: Record<string, unknown>; prediction: Record<string, unknown> }> = [];
    // 1-row and 50-row requests past the first capacity (1 024 rows), so every array grows at least once
    for (let r = 0; r < 60; r++) {
      const n = r % 2 ? 1 : 50;
      const instances = Array.from({ length: n }, (_, i) => {
        const row = sent.length + i;
        const instance: Record<string, unknown> = { x: row * 0.5, kind: ['A', 'B', 'é'][row % 3], flag: row % 4 === 0 };
        // a number, then from row 700 on sometimes a string: stored as JSON from then on, earlier rows included
        instance.mixed = row >= 700 && row % 5 === 0 ? `s${row}` : row;
        if (row >= 1100) instance.late = row % 2 ? null : row;
        return instance;
      });
      const predictions = instances.map((_, i) => ({ score: ((sent.length + i) % 10) / 10, label: (sent.length + i) % 2 }));
      columns.add(`r${r}`, r < 30 ? 'v1' : 'v2', r < 40 ? T1 : T2, instances, predictions);
      instances.forEach((features, i) => sent.push({ features, prediction: predictions[i] }));
    }
    const records = await roundTrip(columns);
    expect(records).toHaveLength(sent.length);
    expect(sent.length).toBeGreaterThan(1024);
    records.forEach((record, row) => {
      expect(record.features).toEqual({ late: null, ...sent[row].features });
      expect(record.prediction).toEqual(sent[row].prediction);
    });
    expect(new Set(records.map((r) => r.request_id)).size).toBe(60);
    expect(records.filter((r) => r.model_version === 'v2' && r.time === T2).length).toBeGreaterThan(0);
  });

  it('reused for another batch, keeps nothing of the last one: its fields, kinds, ids or rows', async () => {
    const columns = new PredictionColumns('a', false, 8);
    columns.add('r1', 'v1', T1, [{ x: 1, s: 'p', gone: 5 }, { x: 2, s: 'q', gone: 6 }, { x: 3, s: 'p', gone: 7 }], [{ score: 0.1 }, { score: 0.2 }, { score: 0.3 }]);
    await roundTrip(columns);
    columns.reuse('b', true);
    // x now a string, s a number, gone absent, a new field, fewer rows
    columns.add('r2', 'v2', T2, [{ x: 'text', s: 4, fresh: true }], [{ score: 0.9 }]);
    expect(await roundTrip(columns)).toEqual([
      { request_id: 'r2', index: 0, model: 'b', model_version: 'v2', time: T2, features: { x: 'text', s: 4, fresh: true }, prediction: { score: 0.9 }, shadow: true },
    ]);
    columns.reuse('c', false);
    columns.add('r3', 'v3', T1, [{ s: 1 }, {}, { s: 3 }], [{ score: 0 }, { score: 1 }, { score: 0.5 }]);
    expect((await roundTrip(columns)).map((r) => [r.request_id, r.index, r.features])).toEqual([
      ['r3', 0, { s: 1 }],
      ['r3', 1, { s: null }],
      ['r3', 2, { s: 3 }],
    ]);
  });

  it('refuses a file that is not a prediction log batch', async () => {
    await expect(decodePredictionParquet(Buffer.from('not parquet at all'))).rejects.toThrow();
  });
});
