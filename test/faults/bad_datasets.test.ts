import fs from 'node:fs';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import { ingestObject } from '../../shared/pipeline/usecases/on_data_uploaded';
import { createPlatform } from '../../shared/platform';
import { tempHome } from '../e2e/helpers';

jest.setTimeout(60_000);

function rows(n: number, row: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => row(i)).join('\n') + '\n';
}

const good = (i: number) => `${i},${(i * 7) % 13},${i % 3 === 0 ? 'a' : 'b'},${i % 5 === 0 ? 1 : 0}`;
const HEADER = 'step,amount,kind,isFraud';

const CASES: Record<string, Buffer | string> = {
  empty: '',
  header_only: `${HEADER}\n`,
  wrong_delimiter: rows(200, (i) => good(i).replaceAll(',', ';')).replace(/^/, `${HEADER.replaceAll(',', ';')}\n`),
  quoted_newlines: `step,amount,note,isFraud\n` + rows(200, (i) => `${i},${i % 11},"line one\nline two, with comma",${i % 5 === 0 ? 1 : 0}`),
  bom: `\ufeff${HEADER}\n` + rows(200, good),
  non_utf8: Buffer.concat([Buffer.from(`${HEADER}\n`), Buffer.from(rows(200, (i) => `${i},${i % 13},caf\xe9,${i % 5 === 0 ? 1 : 0}`), 'latin1')]),
  ragged_rows: `${HEADER}\n` + rows(200, (i) => (i % 4 === 0 ? `${i},1` : i % 4 === 1 ? `${good(i)},extra,cells` : good(i))),
  one_class: `${HEADER}\n` + rows(200, (i) => `${i},${i % 13},a,0`),
  nan_infinity: `${HEADER}\n` + rows(200, (i) => `${i},${['NaN', 'Infinity', '-Infinity', 'nan', 'inf'][i % 5]},a,${i % 5 === 0 ? 1 : 0}`),
  wide_10000_columns: [Array.from({ length: 9999 }, (_, c) => `f${c}`).concat('isFraud').join(',')].concat(Array.from({ length: 50 }, (_, r) => Array.from({ length: 9999 }, (_, c) => String((r * c) % 7)).concat(String(r % 2)).join(','))).join('\n') + '\n',
};

interface DatasetDoc {
  model: string;
  status: string;
  reason?: string;
  rows?: number;
  rejected_count?: number;
  header?: string[];
  report?: { columns?: Array<{ name: string; kind: string; missing: number; top?: Array<{ value: string }> }> };
}

/**
 * Each malformed upload ends as a dataset document, accepted with what it holds or rejected with a
 * reason a person can act on; none of them throws (which would retry the event until dead-lettered).
 */
describe('bad dataset uploads', () => {
  const home = tempHome('mloop-bad-');
  const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent' });
  const log = createLogger('silent');
  const ctx = { config, log, platform: createPlatform(config, log) };
  const docs: Record<string, DatasetDoc> = {};

  beforeAll(async () => {
    for (const [name, content] of Object.entries(CASES)) {
      const model = `m-${name.replaceAll('_', '-')}`;
      const meta = await ctx.platform.objects.put(config.dataBucket, `datasets/${model}/${name}.csv`, content);
      await ingestObject(ctx, { bucket: meta.bucket, name: meta.name, generation: meta.generation });
      const [doc] = (await ctx.platform.docs.query<DatasetDoc>('datasets', { where: [['model', '==', model]] })).map((d) => d.data);
      docs[name] = doc;
    }
  });
  afterAll(async () => {
    await ctx.platform.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it.each([
    ['empty', 'the CSV file is empty'],
    ['header_only', 'the CSV file has a header but no data rows'],
    ['wrong_delimiter', 'the header looks ";"-separated; mloop reads comma-separated CSV'],
    ['non_utf8', 'field "kind" is not valid UTF-8; save the file as UTF-8'],
    ['one_class', 'target column "isFraud" is "0" in all 200 rows; "1" never occurs'],
  ])('rejects %s with the reason on the dataset document', (name, reason) => {
    expect(docs[name]).toMatchObject({ status: 'rejected', reason: expect.stringContaining(reason) });
  });

  it('reads quoted newlines as part of the field, and a BOM as not part of the header', () => {
    expect(docs.quoted_newlines).toMatchObject({ status: 'accepted', rows: 200, rejected_count: 0, header: ['step', 'amount', 'note', 'isFraud'] });
    expect(docs.bom).toMatchObject({ status: 'accepted', rows: 200, rejected_count: 0, header: ['step', 'amount', 'kind', 'isFraud'] });
  });

  it('keeps the well-formed rows of a ragged file and counts the others', () => {
    expect(docs.ragged_rows).toMatchObject({ status: 'accepted', rows: 100, rejected_count: 100 });
  });

  it('never reads NaN or Infinity strings as numbers', () => {
    const amount = docs.nan_infinity.report!.columns!.find((c) => c.name === 'amount')!;
    expect(docs.nan_infinity.status).toBe('accepted');
    expect(amount).toMatchObject({ kind: 'categorical', missing: 80 });
    expect(amount.top!.map((t) => t.value).sort()).toEqual(['-Infinity', 'Infinity', 'inf']);
  });

  it('accepts 10 000 columns', () => {
    expect(docs.wide_10000_columns).toMatchObject({ status: 'accepted', rows: 50, rejected_count: 0 });
    expect(docs.wide_10000_columns.header).toHaveLength(10_000);
  });
});
