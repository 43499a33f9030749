import fs from 'node:fs';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { contentVersion } from '../../../../shared/core/ids';
import { prepareTrainingData } from '../../../../shared/data/prepare';
import { writeFraudParquet } from '../../../../shared/data/synthetic';
import type { Context } from '../../../../shared/pipeline/context';
import { COLLECTIONS, type DatasetDoc } from '../../../../shared/pipeline/store/documents';
import { datasetConfigOf } from '../../../../shared/pipeline/store/stored_config';
import { openDatasetObject } from '../../../../shared/pipeline/training/dataset_input';
import { ingestObject, parseDatasetObjectName } from '../../../../shared/pipeline/usecases/on_data_uploaded';
import { Readable } from 'node:stream';
import { scratchContextEachTest } from '../../../support/scratch_context';

/** A .parquet object under datasets/<model>/ is a dataset like a CSV: versioned by content, validated, trained on by range. */
let home: string;
let ctx: Context;

scratchContextEachTest('mloop-parquet-upload-', (c, h) => {
  ctx = c;
  home = h;
});

async function upload(model: string, name: string, bytes: Buffer): Promise<DatasetDoc> {
  await ctx.platform.objects.put(ctx.config.dataBucket, `datasets/${model}/mloop.json`, JSON.stringify({ target: 'isFraud' }));
  const object = await ctx.platform.objects.put(ctx.config.dataBucket, `datasets/${model}/${name}`, bytes);
  const result = await ingestObject(ctx, { bucket: object.bucket, name: object.name, generation: object.generation });
  if (result.outcome === 'ignored') throw new Error(result.reason);
  return (await ctx.platform.docs.get<DatasetDoc>(COLLECTIONS.datasets, `${model}:${result.version}`))!;
}

test('a .parquet object is a table dataset', () => {
  expect(parseDatasetObjectName('datasets/fraud/day1.parquet')).toEqual({ model: 'fraud', kind: 'csv' });
});

test('is accepted, versioned by its bytes, with a report from its own types, and trains through range reads', async () => {
  const file = path.join(home, 'fraud.parquet');
  await writeFraudParquet(file, { rows: 2000, seed: 3 });
  const bytes = fs.readFileSync(file);
  const doc = await upload('fraud', 'day1.parquet', bytes);
  expect(doc.status).toBe('accepted');
  expect(doc.version).toBe(await contentVersion(Readable.from([bytes])));
  expect(doc.rows).toBe(2000);
  expect(doc.header).toEqual(['step', 'type', 'amount', 'nameOrig', 'oldbalanceOrg', 'newbalanceOrig', 'nameDest', 'oldbalanceDest', 'newbalanceDest', 'isFraud']);
  const kinds = Object.fromEntries(doc.report!.columns!.map((c) => [c.name, c.reason ?? c.kind]));
  expect(kinds).toMatchObject({ type: 'categorical', amount: 'numeric', nameOrig: 'id-like', isFraud: 'target' });

  const data = await prepareTrainingData(() => openDatasetObject(ctx.platform.objects, doc.object), datasetConfigOf(doc));
  expect(data.report.rows).toBe(2000);
  expect(data.task).toBe('binary');
});

test('a file that is not Parquet, or has a list column, is rejected with the reason', async () => {
  const notParquet = await upload('fraud', 'x.parquet', Buffer.from('step,isFraud\n1,0\n'));
  expect(notParquet).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/not a Parquet file/) });

  const nested = Buffer.from(
    parquetWriteBuffer({
      columnData: [
        { name: 'isFraud', data: [0, 1] },
        { name: 'tags', data: [['a'], ['b', 'c']] },
      ],
      schema: [
        { name: 'root', num_children: 2 },
        { name: 'isFraud', type: 'INT32', repetition_type: 'REQUIRED' },
        { name: 'tags', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      ],
    }),
  );
  const refused = await upload('fraud', 'nested.parquet', nested);
  expect(refused).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/column "tags" is a list/) });
});
