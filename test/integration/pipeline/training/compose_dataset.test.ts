import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as yazl from 'yazl';
import type { Context } from '../../../../shared/pipeline/context';
import { storeOf } from '../../../../shared/pipeline/store';
import { ingestObject, type IngestResult } from '../../../../shared/pipeline/usecases/on_data_uploaded';
import { writeSyntheticImages } from '../../../../shared/data/images/synthetic_images';
import { scratchContextEachTest } from '../../../support/scratch_context';

/** compose "all": uploads under datasets/<model>/ trained on together, as one dataset version of their union. */
let home: string;
let ctx: Context;

scratchContextEachTest('mloop-compose-', (c, h) => {
  ctx = c;
  home = h;
});

const setConfig = (model: string, config: unknown) => ctx.platform.objects.put(ctx.config.dataBucket, `datasets/${model}/mloop.json`, JSON.stringify(config));

async function upload(model: string, file: string, bytes: Buffer | string): Promise<Exclude<IngestResult, { outcome: 'ignored' }>> {
  const object = await ctx.platform.objects.put(ctx.config.dataBucket, `datasets/${model}/${file}`, bytes);
  const result = await ingestObject(ctx, { bucket: object.bucket, name: object.name, generation: object.generation });
  if (result.outcome === 'ignored') throw new Error(result.reason);
  return result;
}

const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => `${(from + i) * 1.5},${(from + i) % 3 ? 'a' : 'b'},${(from + i) % 4 ? 'no' : 'yes'}`);

describe('compose "all" with CSV files', () => {
  it('trains on the rows of every file of the same columns, versioned by the set, and refuses a file of other columns', async () => {
    await setConfig('fraud', { target: 'label', positive_class: 'yes', compose: 'all' });
    const paysim = `amount,kind,label\n${rows(0, 30).join('\n')}\n`;
    const first = await upload('fraud', 'paysim.csv', paysim);
    // alone, a file is its own dataset, as with compose "latest"
    expect(first.outcome).toBe('accepted');
    const alone = (await storeOf(ctx).datasets.get('fraud', first.version))!;
    expect(alone.object.name).toBe('datasets/fraud/paysim.csv');
    expect(alone.members).toBeUndefined();

    // the second source: same columns, no final line break
    const second = await upload('fraud', 'payon.csv', `amount,kind,label\n${rows(30, 20).join('\n')}`);
    expect(second.outcome === 'rejected' ? second.reason : second.outcome).toBe('accepted');
    if (second.outcome !== 'accepted') return;
    expect(second.version).not.toBe(first.version);
    const composed = (await storeOf(ctx).datasets.get('fraud', second.version))!;
    expect(composed).toMatchObject({ status: 'accepted', rows: 50, header: ['amount', 'kind', 'label'] });
    expect(composed.object.name).toBe(`composed/fraud/${second.version}.csv`);
    const payon = (await storeOf(ctx).datasets.acceptedUploads('fraud')).find((d) => d.object.name.endsWith('payon.csv'))!;
    expect(composed.members!.map((m) => m.object).sort()).toEqual(['datasets/fraud/payon.csv', 'datasets/fraud/paysim.csv']);
    expect(composed.members!.map((m) => m.version).sort()).toEqual([first.version, payon.version].sort());
    // the run is named by the upload (what `mloop push --wait` follows), and trains on the union
    expect(second.requestId).toBe(`upload:fraud:${payon.version}`);
    const text = (await ctx.platform.objects.get(ctx.config.dataBucket, composed.object.name)).toString('utf8');
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('amount,kind,label');
    expect(lines.filter((l) => l.startsWith('amount'))).toHaveLength(1);
    expect(lines).toHaveLength(51);
    expect(new Set(lines.slice(1))).toEqual(new Set([...rows(0, 30), ...rows(30, 20)]));

    // the same event again: the same composition
    const again = await upload('fraud', 'payon.csv', `amount,kind,label\n${rows(30, 20).join('\n')}`);
    expect(again).toEqual(second);

    // a file whose columns differ is refused, with the reason, and the union is left as it was
    const other = await upload('fraud', 'other.csv', `amount,channel,label\n${rows(0, 5).join('\n')}\n`);
    expect(other.outcome).toBe('rejected');
    if (other.outcome === 'rejected') expect(other.reason).toMatch(/columns do not match datasets\/fraud\/paysim\.csv's.*lacks kind and adds channel; expected amount,kind,label/);
    expect((await storeOf(ctx).datasets.acceptedUploads('fraud')).map((d) => d.object.name)).toEqual(['datasets/fraud/paysim.csv', 'datasets/fraud/payon.csv']);
  });
});

describe('compose "all" switched on after files of other columns were uploaded', () => {
  it('leaves those files out of the union, and says why on the composed dataset', async () => {
    await setConfig('churn', { target: 'label', positive_class: 'yes' });
    await upload('churn', 'a.csv', `amount,kind,label\n${rows(0, 30).join('\n')}\n`);
    await upload('churn', 'old.csv', `amount,channel,label\n${rows(0, 30).join('\n')}\n`);
    await setConfig('churn', { target: 'label', positive_class: 'yes', compose: 'all' });
    const joined = await upload('churn', 'b.csv', `amount,kind,label\n${rows(30, 30).join('\n')}\n`);
    expect(joined.outcome).toBe('accepted');
    const composed = (await storeOf(ctx).datasets.get('churn', joined.version))!;
    expect(composed.members!.map((m) => m.object).sort()).toEqual(['datasets/churn/a.csv', 'datasets/churn/b.csv']);
    expect(composed.rows).toBe(60);
    expect(composed.left_out).toEqual([{ version: expect.any(String), object: 'datasets/churn/old.csv', reason: expect.stringMatching(/lacks kind and adds channel/) }]);
  });
});

/** A zip of some class folders of a generated dataset. */
async function zipOf(folder: string, classes: string[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const label of classes) {
    for (const name of fs.readdirSync(path.join(folder, label)).sort()) zip.addBuffer(fs.readFileSync(path.join(folder, label, name)), `${label}/${name}`);
  }
  zip.end();
  const file = path.join(home, `${classes.join('-')}.zip`);
  await pipeline(zip.outputStream, fs.createWriteStream(file));
  return fs.readFileSync(file);
}

describe('compose "all" with archives of images', () => {
  it('adds a later archive\'s images and classes to the earlier ones, one class alone included', async () => {
    const folder = path.join(home, 'images');
    await writeSyntheticImages(folder, { classes: 4, perClass: 6, size: 16, seed: 2 });
    await setConfig('leaves', { compose: 'all', image_size: 16 });
    const first = await upload('leaves', 'three.zip', await zipOf(folder, ['circle', 'square', 'triangle']));
    expect(first.outcome).toBe('accepted');
    // one class, and the wrapping folder of the other archive absent: a member, judged with the others
    const second = await upload('leaves', 'cross.zip', await zipOf(folder, ['cross']));
    expect(second.outcome).toBe('accepted');
    const composed = (await storeOf(ctx).datasets.get('leaves', second.version))!;
    expect(composed).toMatchObject({ kind: 'images', status: 'accepted', images: 24 });
    expect(composed.image_report!.classes).toEqual(['circle', 'cross', 'square', 'triangle']);
    expect(composed.image_report!.labels_from).toBe('labels.csv');
    expect(composed.members!.map((m) => m.images).sort()).toEqual([18, 6]);
    expect(composed.object.name).toMatch(/^composed\/leaves\/[0-9a-f]{16}\.tar$/);
    // the same images pushed again in another archive add nothing: the same version
    const repeat = await upload('leaves', 'again.zip', await zipOf(folder, ['cross', 'circle']));
    expect(repeat.outcome === 'accepted' && repeat.version).toBe(second.version);
  });

  it('still refuses a one-class archive on its own without compose "all"', async () => {
    const folder = path.join(home, 'images');
    await writeSyntheticImages(folder, { classes: 2, perClass: 6, size: 16, seed: 2 });
    await setConfig('single', { image_size: 16 });
    const result = await upload('single', 'one.zip', await zipOf(folder, ['circle']));
    expect(result.outcome).toBe('rejected');
    if (result.outcome === 'rejected') expect(result.reason).toMatch(/at least 2 classes/);
  });
});
