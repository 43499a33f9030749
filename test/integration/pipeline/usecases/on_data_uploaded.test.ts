import fs from 'node:fs';
import path from 'node:path';
import { DATASET_CONFIG_VERSION } from '../../../../shared/pipeline/dataset_config';
import type { Context } from '../../../../shared/pipeline/context';
import { COLLECTIONS, type DatasetDoc } from '../../../../shared/pipeline/store/documents';
import { datasetConfigOf } from '../../../../shared/pipeline/store/stored_config';
import { ingestObject } from '../../../../shared/pipeline/usecases/on_data_uploaded';
import { scanImageDataset } from '../../../../shared/data/images/dataset';
import { writeSyntheticImages } from '../../../../shared/data/images/synthetic_images';
import { scratchContextEachTest } from '../../../support/scratch_context';

/** mloop.json is validated once, when a file arrives, and stored typed with the dataset version. */
let home: string;
let ctx: Context;

scratchContextEachTest('mloop-ingest-config-', (c, h) => {
  ctx = c;
  home = h;
});

const CSV = 'amount,kind,label\n' + Array.from({ length: 40 }, (_, i) => `${i * 1.5},${i % 3 ? 'a' : 'b'},${i % 4 ? 'no' : 'yes'}`).join('\n') + '\n';

async function upload(model: string, mloopJson: unknown, csv = CSV): Promise<DatasetDoc> {
  if (mloopJson !== undefined) {
    await ctx.platform.objects.put(ctx.config.dataBucket, `datasets/${model}/mloop.json`, typeof mloopJson === 'string' ? mloopJson : JSON.stringify(mloopJson));
  }
  const object = await ctx.platform.objects.put(ctx.config.dataBucket, `datasets/${model}/data.csv`, csv);
  const result = await ingestObject(ctx, { bucket: object.bucket, name: object.name, generation: object.generation });
  if (result.outcome === 'ignored') throw new Error(result.reason);
  return (await ctx.platform.docs.get<DatasetDoc>(COLLECTIONS.datasets, `${model}:${result.version}`))!;
}

describe('the dataset config stored at ingest', () => {
  it('is the parsed mloop.json, defaults filled and the search in full form, read back as it was stored', async () => {
    const doc = await upload('churn', {
      target: 'label',
      positive_class: 'yes',
      algorithm: 'gbdt',
      params: { num_leaves: 7 },
      search: { learning_rate: [0.05, 0.1] },
      promotion: { delta: 0.02, mode: 'manual' },
      monitoring: { drift_share: 0.8 },
      sample: 30,
    });
    expect(doc.status).toBe('accepted');
    expect(doc.config_version).toBe(DATASET_CONFIG_VERSION);
    expect(doc.config).toEqual({
      target: 'label',
      positive_class: 'yes',
      algorithm: 'gbdt',
      params: { num_leaves: 7 },
      search: { space: { learning_rate: [0.05, 0.1] }, method: 'grid', seed: 7 },
      promotion: { metric: 'auc', delta: 0.02, mode: 'manual' },
      drop: [],
      sample: 30,
      monitoring: {
        window_hours: 24,
        min_rows: 200,
        drift_share: 0.8,
        retrain_cooldown_hours: 6,
        auc_drop: 0.05,
        mae_rise: 0.25,
        min_labels: 200,
        missing_rate_change: 0.05,
        features: {},
        estimated_auc_drop: 0.05,
        estimated_mae_rise: 0.25,
        window_drift: { share: 0.5, min_rows: 200, features: {} },
      },
    });
    // Typed and versioned: read back without being parsed again.
    expect(datasetConfigOf(doc)).toBe(doc.config);
  });

  it('without mloop.json holds the defaults', async () => {
    const doc = await upload('plain', undefined, 'amount,isFraud\n' + Array.from({ length: 30 }, (_, i) => `${i},${i % 2}`).join('\n') + '\n');
    expect(doc).toMatchObject({ status: 'accepted', config_version: DATASET_CONFIG_VERSION });
    expect(doc.config).toEqual({ target: 'isFraud', algorithm: 'auto', promotion: { metric: 'auc' }, drop: [] });
  });

  it('a bad mloop.json rejects the upload, with the file and the reason recorded on the dataset', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['typo', { target: 'label', epoch: 3 }, /datasets\/typo\/mloop\.json: invalid mloop\.json: unknown field "epoch"/],
      ['badsearch', { target: 'label', search: { learning_rate: [] } }, /field "search": invalid search space/],
      ['biggrid', { target: 'label', search: { a: range(11), b: range(11) } }, /field "search": the grid has 121 trials, more than 100/],
      ['notjson', '{"target": ', /datasets\/notjson\/mloop\.json is not valid JSON/],
    ];
    for (const [model, mloopJson, reason] of cases) {
      const doc = await upload(model, mloopJson);
      expect(doc.status).toBe('rejected');
      expect(doc.reason).toMatch(reason);
      expect(doc.config).toBeUndefined();
    }
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

describe('an archive of images', () => {
  async function uploadArchive(model: string, file: string, mloopJson?: unknown): Promise<{ result: Awaited<ReturnType<typeof ingestObject>>; doc: DatasetDoc | null }> {
    if (mloopJson !== undefined) await ctx.platform.objects.put(ctx.config.dataBucket, `datasets/${model}/mloop.json`, JSON.stringify(mloopJson));
    const object = await ctx.platform.objects.putFile(ctx.config.dataBucket, `datasets/${model}/${path.basename(file)}`, file);
    const result = await ingestObject(ctx, { bucket: object.bucket, name: object.name, generation: object.generation });
    const doc = result.outcome === 'ignored' ? null : await ctx.platform.docs.get<DatasetDoc>(COLLECTIONS.datasets, `${model}:${result.version}`);
    return { result, doc };
  }

  it('is scanned, versioned by its images and recorded with its report and typed config', async () => {
    const zip = path.join(home, 'shapes.zip');
    await writeSyntheticImages(zip, { classes: 3, perClass: 8, size: 24, seed: 2 });
    const { result, doc } = await uploadArchive('shapes', zip, { image_size: 16, min_images_per_class: 6 });
    expect(result.outcome).toBe('accepted');
    const scanned = await scanImageDataset(fs.readFileSync(zip), { spec: { size: 16, channels: 3, layout: 'NHWC', scale: 1 / 255 } });
    expect(doc).toMatchObject({ kind: 'images', status: 'accepted', version: scanned.version, images: 24, rejected_count: 0, config_version: DATASET_CONFIG_VERSION });
    expect(doc!.config).toMatchObject({ task: 'image_classification', algorithm: 'cnn', image_size: 16, min_images_per_class: 6, promotion: { metric: 'accuracy' } });
    expect(doc!.image_report).toMatchObject({ classes: ['circle', 'square', 'triangle'], class_counts: { circle: 8, square: 8, triangle: 8 }, errors: [] });
    // the same images again: the same version, one dataset
    expect(await ingestObject(ctx, { bucket: ctx.config.dataBucket, name: 'datasets/shapes/shapes.zip', generation: '1' })).toEqual(result);
  });

  it('is rejected with the reasons when no model can be trained on it, the report kept', async () => {
    const zip = path.join(home, 'few.zip');
    await writeSyntheticImages(zip, { classes: 2, perClass: 3, size: 16, seed: 1 });
    const { result, doc } = await uploadArchive('few', zip);
    expect(result).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^no model can be trained on these images: /) });
    expect(doc).toMatchObject({ kind: 'images', status: 'rejected' });
    expect(doc!.image_report!.dropped_classes.map((c) => c.reason)).toEqual(['below_minimum', 'below_minimum']);
  });

  it('is rejected with the reason when it is no archive, or its mloop.json does not fit images', async () => {
    const fake = path.join(home, 'fake.zip');
    fs.writeFileSync(fake, 'this is not a zip');
    const notZip = await uploadArchive('fake', fake);
    expect(notZip.result.outcome).toBe('rejected');
    expect(notZip.doc).toMatchObject({ kind: 'images', status: 'rejected' });

    const zip = path.join(home, 'shapes.zip');
    await writeSyntheticImages(zip, { classes: 2, perClass: 6, size: 16 });
    const wrong = await uploadArchive('wrong', zip, { algorithm: 'gbdt' });
    expect(wrong.result).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/field "algorithm": gbdt trains on a table; images train with cnn/) });
  });

  it('refuses image fields in the mloop.json of a CSV', async () => {
    const doc = await upload('table', { target: 'label', image_size: 32 });
    expect(doc).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/field "image_size" applies to an archive of images, not to a CSV/) });
  });
});
