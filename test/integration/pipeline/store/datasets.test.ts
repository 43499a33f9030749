import { datasetDoc, localStore, type LocalStore } from './local_store';

let local: LocalStore;
beforeEach(() => {
  local = localStore();
});
afterEach(() => local.cleanup());

describe('createOrGet', () => {
  test('the first record of a version wins: a second validation of the same bytes gets it back', async () => {
    const first = datasetDoc('abc', 1, { rows: 100 });
    expect(await local.store.datasets.createOrGet(first)).toEqual(first);
    const again = datasetDoc('abc', 5, { rows: 100, status: 'rejected', reason: 'a later, different verdict' });
    expect(await local.store.datasets.createOrGet(again)).toEqual(first);
    expect(await local.store.datasets.get('fraud', 'abc')).toEqual(first);
  });

  test('a version is per model', async () => {
    await local.store.datasets.createOrGet(datasetDoc('abc', 1));
    const churn = datasetDoc('abc', 2, { model: 'churn', object: { bucket: 'data', name: 'datasets/churn/abc.csv', generation: '1', md5Hash: 'y', size: 2 } });
    expect(await local.store.datasets.createOrGet(churn)).toEqual(churn);
    expect((await local.store.datasets.get('fraud', 'abc'))?.object.name).toBe('datasets/fraud/abc.csv');
    expect((await local.store.datasets.get('churn', 'abc'))?.object.name).toBe('datasets/churn/abc.csv');
  });
});

describe('latestUploaded', () => {
  test("the model's newest accepted upload: not a retraining dataset, not a rejected file, not another model's", async () => {
    await local.store.datasets.createOrGet(datasetDoc('old', 1));
    await local.store.datasets.createOrGet(datasetDoc('upload', 2));
    await local.store.datasets.createOrGet(datasetDoc('derived', 3, { derived_from: { dataset_version: 'upload', report_id: 'r1', feedback_rows: 40 } }));
    await local.store.datasets.createOrGet(datasetDoc('bad', 4, { status: 'rejected', reason: 'no target' }));
    await local.store.datasets.createOrGet(datasetDoc('other', 5, { model: 'churn' }));
    expect((await local.store.datasets.latestUploaded('fraud'))?.version).toBe('upload');
    expect((await local.store.datasets.latestUploaded('churn'))?.version).toBe('other');
  });

  test('null when the model has only rejected or derived datasets', async () => {
    await local.store.datasets.createOrGet(datasetDoc('bad', 1, { status: 'rejected' }));
    await local.store.datasets.createOrGet(datasetDoc('derived', 2, { derived_from: { dataset_version: 'gone', report_id: 'r1', feedback_rows: 1 } }));
    expect(await local.store.datasets.latestUploaded('fraud')).toBeNull();
  });
});

test('every dataset, oldest first', async () => {
  await local.store.datasets.createOrGet(datasetDoc('c', 3));
  await local.store.datasets.createOrGet(datasetDoc('a', 1, { model: 'churn' }));
  await local.store.datasets.createOrGet(datasetDoc('b', 2));
  expect((await local.store.datasets.list()).map((d) => d.version)).toEqual(['a', 'b', 'c']);
});
