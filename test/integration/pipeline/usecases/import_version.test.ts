/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../../shared/core/config';
import { createLogger } from '../../../../shared/core/log';
import type { Context } from '../../../../shared/pipeline/context';
import { readBundleFolder } from '../../../../shared/pipeline/artifacts/version_bundle';
import { readManifest } from '../../../../shared/pipeline/artifacts/model_files';
import { storeOf } from '../../../../shared/pipeline/store';
import { importVersion } from '../../../../shared/pipeline/usecases/import_version';
import { deleteVersion, promoteVersion, setAlias } from '../../../../shared/pipeline/usecases/registry_transitions';
import { createPlatform } from '../../../../shared/platform';
import { trainSmallModel } from '../../../support/trained_model';

jest.setTimeout(180_000);

/** The import use-case on SQLite and folders, with a folder `mloop train --out` wrote. */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-import-uc-'));
const config = configFor(path.join(dir, 'home'));
const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
let folder: string;
let csv: string;

beforeAll(async () => {
  folder = await trainSmallModel(dir, 'fraud');
  csv = path.join(dir, 'fraud.csv');
});
afterAll(async () => {
  await ctx.platform.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const bundle = () => readBundleFolder(folder);
const withFile = (name: string, data: Buffer | string) => new Map([...bundle(), [name, Buffer.from(data)]]);
const without = (name: string) => new Map([...bundle()].filter(([n]) => n !== name));
const manifest = () => JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));

describe('importVersion', () => {
  it('refuses what does not hold together, before a version is allotted', async () => {
    await expect(importVersion(ctx, withFile('model.onnx', 'not an onnx model'), { model: 'fraud', by: 'test' })).rejects.toThrow(/model.onnx does not load as the manifest describes it/);
    await expect(importVersion(ctx, withFile('manifest.json', '{"format_version": 2'), { model: 'fraud', by: 'test' })).rejects.toThrow(/manifest.json is not JSON/);
    const wrongInput = { ...manifest(), input: { ...manifest().input, name: 'images' } };
    await expect(importVersion(ctx, withFile('manifest.json', JSON.stringify(wrongInput)), { model: 'fraud', by: 'test' })).rejects.toThrow(/invalid manifest.json: input.name/);
    // a feature the ONNX was not trained on: its input width no longer matches the graph
    const extra = manifest();
    extra.features = [...extra.features, { ...extra.features.find((f: { kind: string }) => f.kind === 'numeric'), name: 'extra_column' }];
    extra.input.width += 1;
    await expect(importVersion(ctx, withFile('manifest.json', JSON.stringify(extra)), { model: 'fraud', by: 'test' })).rejects.toThrow(/cannot score the folder's holdout.ndjson/);
    await expect(importVersion(ctx, without('holdout.ndjson'), { model: 'fraud', by: 'test' })).rejects.toThrow(/carries no holdout.ndjson: give a holdout CSV with the target column "isFraud"/);
    await expect(importVersion(ctx, without('model.onnx'), { model: 'fraud', by: 'test' })).rejects.toThrow(/the folder has no model.onnx/);
    await expect(importVersion(ctx, bundle(), { model: 'Fraud!', by: 'test' })).rejects.toThrow(/model "Fraud!"/);
    await expect(importVersion(ctx, bundle(), { model: 'fraud', by: 'test', label: 'v7' })).rejects.toThrow(/not vN/);
    expect(await storeOf(ctx).models.get('fraud')).toBeNull();
  });

  it('imports the first version into production, with its lineage, and a second one judged against it', async () => {
    const first = await importVersion(ctx, bundle(), { model: 'fraud', by: 'alice', label: '1.0.0', reason: 'trained on the laptop' });
    expect(first).toMatchObject({ version: 'v1', label: '1.0.0', stage: 'production', promoted: true });
    expect(first.imported).toMatchObject({ by: 'alice', from: { version: manifest().version, run_id: manifest().run_id }, dataset_version: manifest().dataset.version, check: { metric: 'auc', holdout: 'carried' } });
    const stored = await readManifest(ctx, 'fraud', 'v1');
    expect(stored).toMatchObject({ model: 'fraud', version: 'v1', label: '1.0.0', run_id: first.run_id });
    const version = await storeOf(ctx).versions.get('fraud', 'v1');
    expect(version).toMatchObject({ source: 'imported', label: '1.0.0', imported: { by: 'alice' } });
    expect((await storeOf(ctx).models.get('fraud'))?.labels).toEqual({ '1.0.0': 'v1' });

    // a downloaded version's manifest carries its label: the import does not take it over
    const labelledElsewhere = withFile('manifest.json', JSON.stringify({ ...manifest(), label: '9.9.9' }));
    const second = await importVersion(ctx, labelledElsewhere, { model: 'fraud', by: 'bob' });
    expect((await readManifest(ctx, 'fraud', 'v2')).label).toBeUndefined();
    expect(second).toMatchObject({ version: 'v2', stage: 'rejected', promoted: false, decision: { production_version: 'v1', explicit: null } });
  });

  it('--promote serves it whatever the comparison says, and the decision says who overrode what', async () => {
    const forced = await importVersion(ctx, bundle(), { model: 'fraud', by: 'carol', choice: 'promote', reason: 'hotfix' });
    expect(forced).toMatchObject({ version: 'v3', stage: 'production', promoted: true, decision: { explicit: { action: 'promote', by: 'carol', reason: 'hotfix' } } });
    expect(forced.decision.reasons[0]).toBe('promoted explicitly on import (--promote) by carol: hotfix');
    expect(forced.decision.reasons[1]).toMatch(/^the comparison alone would keep production: /);
    const decision = await storeOf(ctx).decisions.get(forced.decision.id);
    expect(decision?.explicit).toEqual({ action: 'promote', by: 'carol', reason: 'hotfix' });
    expect((await storeOf(ctx).models.get('fraud'))?.production_version).toBe('v3');
  });

  it('judges it on a provided holdout CSV, and refuses one without the target', async () => {
    const judged = await importVersion(ctx, without('holdout.ndjson'), { model: 'fraud', by: 'dan', holdoutCsv: fs.readFileSync(csv), choice: 'candidate' });
    expect(judged.imported.check).toMatchObject({ holdout: 'provided', rows: 4000 });
    expect(judged.decision.explicit).toMatchObject({ action: 'candidate' });
    const noTarget = Buffer.from('step,amount\n1,2\n');
    await expect(importVersion(ctx, without('holdout.ndjson'), { model: 'fraud', by: 'dan', holdoutCsv: noTarget })).rejects.toThrow(/no target column "isFraud"/);
  });

  it('names a version by its label in the registry: promote, alias, a reused label refused, delete frees it', async () => {
    await expect(importVersion(ctx, bundle(), { model: 'fraud', by: 'eve', label: '1.0.0' })).rejects.toMatchObject({ code: 'already_exists' });
    const labelled = await importVersion(ctx, bundle(), { model: 'fraud', by: 'eve', label: '2.0.0' });
    await setAlias(ctx, 'fraud', 'shadow', '2.0.0');
    expect((await storeOf(ctx).models.get('fraud'))?.aliases?.shadow).toBe(labelled.version);
    await promoteVersion(ctx, 'fraud', '1.0.0', { by: 'eve', reason: 'back to the first' }, undefined, 0);
    expect((await storeOf(ctx).models.get('fraud'))?.production_version).toBe('v1');
    await expect(deleteVersion(ctx, 'fraud', '1.0.0')).rejects.toMatchObject({ code: 'failed_precondition' });
    await deleteVersion(ctx, 'fraud', '2.0.0');
    expect((await storeOf(ctx).models.get('fraud'))?.labels).toEqual({ '1.0.0': 'v1' });
    expect(await storeOf(ctx).versions.get('fraud', labelled.version)).toBeNull();
  });
});
