import { LocalDocumentStore } from '../../shared/platform/local/document_store';
import { localHome, type LocalHome } from './local_fixtures';
import { expectCode, runHelper } from './support';

describe('LocalDocumentStore across processes', () => {
  let local: LocalHome;
  let docs: LocalDocumentStore;

  beforeEach(() => {
    local = localHome();
    docs = new LocalDocumentStore(local.db);
  });
  afterEach(() => local.cleanup());

  test('transactional increments from two other processes and this one all count', async () => {
    const startAt = String(Date.now() + 600);
    const helpers = [runHelper('increment', [local.home, 'counters', '30', startAt]), runHelper('increment', [local.home, 'counters', '30', startAt])];
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
    for (let i = 0; i < 30; i++) {
      await docs.runTransaction(async (tx) => {
        const doc = await tx.get<{ n: number }>('counters', 'counter');
        tx.set('counters', 'counter', { n: (doc?.n ?? 0) + 1 });
      });
    }
    await Promise.all(helpers.map((h) => h.line(/^done$/m, 30_000)));
    expect(await docs.get('counters', 'counter')).toEqual({ n: 90 });
  });

  test('a transaction that always loses gives up with unavailable after ten tries', async () => {
    await docs.set('c', 'hot', { n: 0 });
    let calls = 0;
    const err = await expectCode(
      docs.runTransaction(async (tx) => {
        calls++;
        await tx.get('c', 'hot');
        await docs.set('c', 'hot', { n: calls }); // someone else writes in between, every time
        tx.set('c', 'hot', { n: -1 });
      }),
      'unavailable',
    );
    expect(err.message).toBe('transaction contention');
    expect(calls).toBe(10);
    expect(await docs.get('c', 'hot')).toEqual({ n: 10 });
  });

  test('a document deleted and re-created under a transaction still conflicts', async () => {
    await docs.set('c', 'x', { v: 1 });
    let calls = 0;
    await docs.runTransaction(async (tx) => {
      calls++;
      const seen = await tx.get<{ v: number }>('c', 'x');
      if (calls === 1) {
        await docs.delete('c', 'x');
        await docs.set('c', 'x', { v: 1 });
      }
      tx.set('c', 'x', { v: seen!.v + 1 });
    });
    expect(calls).toBe(2);
  });

  test('a callback that fails on data changed under it runs again instead of failing', async () => {
    await docs.set('c', 'run', { state: 'queued', attempt: 1 });
    let calls = 0;
    const result = await docs.runTransaction(async (tx) => {
      calls++;
      const run = await tx.get<{ state: string; attempt: number }>('c', 'run');
      if (calls === 1) await docs.set('c', 'run', { state: 'running', attempt: 2 });
      const again = await tx.get<{ state: string; attempt: number }>('c', 'other');
      if (calls === 1) throw new Error(`inconsistent view: ${run!.state} ${again}`);
      return run!.state;
    });
    expect(calls).toBe(2);
    expect(result).toBe('running');
  });

  test('a callback error on an unchanged view is not retried', async () => {
    await docs.set('c', 'a', { v: 1 });
    let calls = 0;
    await expect(
      docs.runTransaction(async (tx) => {
        calls++;
        await tx.get('c', 'a');
        throw new Error('bad input');
      }),
    ).rejects.toThrow('bad input');
    expect(calls).toBe(1);
  });

  test('subcollections are collection paths', async () => {
    await docs.set('runs/r1/attempts', 'a1', { state: 'ok' });
    expect(await docs.get('runs/r1/attempts', 'a1')).toEqual({ state: 'ok' });
    expect(await docs.query('runs/r1/attempts')).toEqual([{ id: 'a1', data: { state: 'ok' } }]);
    expect(await docs.query('runs/r2/attempts')).toEqual([]);
  });

  test.each([
    ['an empty id', 'c', ''],
    ['a slash in the id', 'c', 'a/b'],
    ['a dot id', 'c', '..'],
    ['a reserved id', 'c', '__x__'],
    ['an even collection path', 'runs/r1', 'x'],
  ])('%s is invalid_argument', async (_label, collection, id) => {
    await expectCode(docs.set(collection, id, { a: 1 }), 'invalid_argument');
  });

  test('field paths and values are bound, never spliced into SQL', async () => {
    await docs.set('c', 'a', { name: "x'); DROP TABLE documents;--" });
    expect(await docs.query('c', { where: [["name') OR 1=1;--", '==', 'x']] })).toEqual([]);
    expect(await docs.query('c', { where: [['name', '==', "x'); DROP TABLE documents;--"]] })).toHaveLength(1);
    await expectCode(docs.query('c', { where: [['a"b', '==', 1]] }), 'invalid_argument');
    await expectCode(docs.query('c', { where: [['a', 'like' as '==', 1]] }), 'invalid_argument');
    await expectCode(docs.query('c', { where: [['a', '<', { x: 1 }]] }), 'invalid_argument');
    await expectCode(docs.set('c', 'arr', [1, 2] as unknown as Record<string, unknown>), 'invalid_argument');
  });
});
