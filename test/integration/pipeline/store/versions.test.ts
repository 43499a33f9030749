import { modelVersionId } from '../../../../shared/core/ids';
import { COLLECTIONS } from '../../../../shared/pipeline/store/documents';
import { localStore, versionDoc, type LocalStore } from './local_store';

let local: LocalStore;
beforeEach(() => {
  local = localStore();
});
afterEach(() => local.cleanup());

test('a version is stored under its model@version id, so records written before the store are still found', async () => {
  await local.store.versions.put(versionDoc('fraud', 'v2', 1));
  expect(await local.docs.get(COLLECTIONS.versions, modelVersionId('fraud', 'v2'))).toMatchObject({ model: 'fraud', version: 'v2' });
  await local.docs.set(COLLECTIONS.versions, 'churn@v7', { ...versionDoc('churn', 'v7', 2) });
  expect(await local.store.versions.get('churn', 'v7')).toMatchObject({ model: 'churn', version: 'v7' });
});

test('the same version label in two models names two versions', async () => {
  await local.store.versions.put(versionDoc('fraud', 'v1', 1, { stage: 'production' }));
  await local.store.versions.put(versionDoc('churn', 'v1', 2, { stage: 'rejected' }));
  expect((await local.store.versions.get('fraud', 'v1'))?.stage).toBe('production');
  expect((await local.store.versions.get('churn', 'v1'))?.stage).toBe('rejected');
  expect(await local.store.versions.get('fraud', 'v2')).toBeNull();
});

test("one model's versions come oldest first, however they were written", async () => {
  await local.store.versions.put(versionDoc('fraud', 'v10', 10));
  await local.store.versions.put(versionDoc('churn', 'v1', 1));
  await local.store.versions.put(versionDoc('fraud', 'v9', 9));
  await local.store.versions.put(versionDoc('fraud', 'v2', 2));
  expect((await local.store.versions.list({ model: 'fraud' })).map((v) => v.version)).toEqual(['v2', 'v9', 'v10']);
  expect((await local.store.versions.list()).map((v) => `${v.model}@${v.version}`)).toEqual(['churn@v1', 'fraud@v2', 'fraud@v9', 'fraud@v10']);
});

test('inside a transaction, update and delete address a version by model and version', async () => {
  await local.store.versions.put(versionDoc('fraud', 'v1', 1));
  await local.store.versions.put(versionDoc('fraud', 'v2', 2));
  await local.store.versions.put(versionDoc('churn', 'v1', 3));
  await local.store.inTransaction(async (tx) => {
    const v1 = await tx.versions.get('fraud', 'v1');
    tx.versions.update('fraud', 'v1', { stage: 'archived', history: [...(v1?.history ?? []), { from: 'candidate', to: 'archived', by: 'test', at: 'now', reason: 'r' }] });
    tx.versions.delete('fraud', 'v2');
  });
  expect(await local.store.versions.get('fraud', 'v1')).toMatchObject({ stage: 'archived', metrics: { auc: 0.9 }, history: [{ to: 'archived' }] });
  expect(await local.store.versions.get('fraud', 'v2')).toBeNull();
  expect((await local.store.versions.get('churn', 'v1'))?.stage).toBe('candidate');
});

test('a transaction that throws writes nothing', async () => {
  await local.store.versions.put(versionDoc('fraud', 'v1', 1));
  await expect(
    local.store.inTransaction(async (tx) => {
      tx.versions.update('fraud', 'v1', { stage: 'production' });
      throw new Error('changed my mind');
    }),
  ).rejects.toThrow('changed my mind');
  expect((await local.store.versions.get('fraud', 'v1'))?.stage).toBe('candidate');
});
