import { localStore, runDoc, type LocalStore } from './local_store';

let local: LocalStore;
beforeEach(() => {
  local = localStore();
});
afterEach(() => local.cleanup());

const NOW = new Date('2026-01-02T03:04:05.000Z');

async function seed(...runs: ReturnType<typeof runDoc>[]) {
  await local.store.inTransaction(async (tx) => {
    for (const run of runs) tx.runs.create(run);
  });
}

describe('claimNext', () => {
  test('takes the oldest queued run for its next attempt, and records the claim', async () => {
    await seed(runDoc('late', 9), runDoc('early', 1, { attempt: 1, progress: { unit: 'epoch', iteration: 3, iterations: 10 }, error: 'attempt 1 failed' }), runDoc('middle', 5));
    const claimed = await local.store.runs.claimNext(5, NOW);
    expect(claimed).toMatchObject({ id: 'early', status: 'running', attempt: 2, execution_id: null, progress: null, error: null, claimed_at: NOW.toISOString() });
    expect(await local.store.runs.get('early')).toEqual(claimed);
    expect((await local.store.runs.claimNext(5, NOW))?.id).toBe('middle');
    expect((await local.store.runs.claimNext(5, NOW))?.id).toBe('late');
    expect(await local.store.runs.claimNext(5, NOW)).toBeNull();
  });

  test('claims nothing while maxRunning runs are running, and leaves the queue as it was', async () => {
    await seed(runDoc('busy-1', 1, { status: 'running', attempt: 1 }), runDoc('busy-2', 2, { status: 'running', attempt: 1 }), runDoc('waiting', 3));
    expect(await local.store.runs.claimNext(2, NOW)).toBeNull();
    expect(await local.store.runs.get('waiting')).toMatchObject({ status: 'queued', attempt: 0 });
    expect((await local.store.runs.claimNext(3, NOW))?.id).toBe('waiting');
  });

  test('finished runs take no slot', async () => {
    await seed(runDoc('done', 1, { status: 'succeeded', attempt: 1 }), runDoc('broken', 2, { status: 'failed', attempt: 3 }), runDoc('waiting', 3));
    expect((await local.store.runs.claimNext(1, NOW))?.id).toBe('waiting');
  });

  test('two dispatchers racing for the last slot: one run is claimed, once', async () => {
    await seed(runDoc('a', 1), runDoc('b', 2));
    const other = local.another();
    const results = await Promise.all([local.store.runs.claimNext(1, NOW), other.runs.claimNext(1, NOW)]);
    expect(results.filter((r) => r !== null).map((r) => r!.id)).toEqual(['a']);
    expect((await local.store.runs.running()).map((r) => [r.id, r.attempt])).toEqual([['a', 1]]);
    expect(await local.store.runs.get('b')).toMatchObject({ status: 'queued', attempt: 0 });
  });

  test('with a free slot each, racing dispatchers claim different runs', async () => {
    await seed(runDoc('a', 1), runDoc('b', 2), runDoc('c', 3));
    const other = local.another();
    const results = await Promise.all([local.store.runs.claimNext(2, NOW), other.runs.claimNext(2, NOW)]);
    expect(results.map((r) => r?.id).sort()).toEqual(['a', 'b']);
    expect((await local.store.runs.get('a'))?.attempt).toBe(1);
    expect((await local.store.runs.get('b'))?.attempt).toBe(1);
  });
});

describe('listing runs', () => {
  test("oldest first, all of them or one model's", async () => {
    await seed(runDoc('r3', 3, { model: 'churn' }), runDoc('r1', 1), runDoc('r2', 2));
    expect((await local.store.runs.list()).map((r) => r.id)).toEqual(['r1', 'r2', 'r3']);
    expect((await local.store.runs.list({ model: 'fraud' })).map((r) => r.id)).toEqual(['r1', 'r2']);
    expect((await local.store.runs.list({ model: 'none' })).map((r) => r.id)).toEqual([]);
  });

  test('oldestQueued skips runs that are no longer queued', async () => {
    await seed(runDoc('r1', 1, { status: 'running', attempt: 1 }), runDoc('r3', 3), runDoc('r2', 2));
    expect((await local.store.runs.oldestQueued())?.id).toBe('r2');
  });
});

test('creating a run whose id exists fails the transaction and writes nothing of it', async () => {
  await seed(runDoc('r1', 1));
  await expect(
    local.store.inTransaction(async (tx) => {
      tx.runs.update('r1', { note: 'changed' });
      tx.runs.create(runDoc('r1', 2));
    }),
  ).rejects.toMatchObject({ code: 'already_exists' });
  expect((await local.store.runs.get('r1'))?.note).toBeUndefined();
});
