import type { DocumentStore } from '../../shared/platform/ports';
import { expectCode, unique } from './support';

export interface DocumentStoreFixture {
  docs: DocumentStore;
  cleanup(): Promise<void>;
}

/** What every DocumentStore must do: Firestore's documents, queries and transactions. */
export function documentStoreContract(name: string, makeStore: () => Promise<DocumentStoreFixture>): void {
  describe(`DocumentStore contract: ${name}`, () => {
    let fixture: DocumentStoreFixture;
    let docs: DocumentStore;
    let col: string;

    beforeEach(async () => {
      fixture = await makeStore();
      docs = fixture.docs;
      col = unique('col');
    });
    afterEach(() => fixture.cleanup());

    test('set then get returns the document; set replaces it whole', async () => {
      await docs.set(col, 'a', { name: 'a', nested: { x: 1, list: [1, 'two', null] }, flag: true });
      expect(await docs.get(col, 'a')).toEqual({ name: 'a', nested: { x: 1, list: [1, 'two', null] }, flag: true });
      await docs.set(col, 'a', { name: 'b' });
      expect(await docs.get(col, 'a')).toEqual({ name: 'b' });
      expect(await docs.get(col, 'missing')).toBeNull();
    });

    test('create writes only a new document', async () => {
      expect(await docs.create(col, 'run-1', { state: 'queued' })).toBe(true);
      expect(await docs.create(col, 'run-1', { state: 'overwritten?' })).toBe(false);
      expect(await docs.get(col, 'run-1')).toEqual({ state: 'queued' });
    });

    test('update merges top-level fields and fails on a missing document', async () => {
      await docs.set(col, 'm', { a: 1, b: { c: 2, d: 3 } });
      await docs.update(col, 'm', { b: { c: 9 }, e: 'new' });
      expect(await docs.get(col, 'm')).toEqual({ a: 1, b: { c: 9 }, e: 'new' });
      await expectCode(docs.update(col, 'absent', { a: 1 }), 'not_found');
      expect(await docs.get(col, 'absent')).toBeNull();
    });

    test('delete removes the document and is a no-op when it is missing', async () => {
      await docs.set(col, 'd', { a: 1 });
      await docs.delete(col, 'd');
      expect(await docs.get(col, 'd')).toBeNull();
      await docs.delete(col, 'd');
    });

    describe('queries', () => {
      beforeEach(async () => {
        await docs.set(col, 'r1', { model: 'iris', state: 'succeeded', score: 0.91, attempt: 1, meta: { stage: 'eval' } });
        await docs.set(col, 'r2', { model: 'iris', state: 'failed', score: 0.5, attempt: 2, meta: { stage: 'train' } });
        await docs.set(col, 'r3', { model: 'wine', state: 'running', score: 0.75, attempt: 1 });
        await docs.set(col, 'r4', { model: 'iris', state: 'running', attempt: 3 });
        await docs.set(col, 'r5', { model: 'iris', state: 'queued', score: '0.99', attempt: 1 });
      });
      const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);

      test('without a query: every document, by id', async () => {
        expect(ids(await docs.query(col))).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
        const [first] = await docs.query(col);
        expect(first.data).toMatchObject({ model: 'iris', score: 0.91 });
      });

      test('equality and inequality', async () => {
        expect(ids(await docs.query(col, { where: [['model', '==', 'iris']] }))).toEqual(['r1', 'r2', 'r4', 'r5']);
        expect(ids(await docs.query(col, { where: [['model', '!=', 'iris']] }))).toEqual(['r3']);
        expect(ids(await docs.query(col, { where: [['model', '==', 'iris'], ['attempt', '==', 1]] }))).toEqual(['r1', 'r5']);
      });

      test('ranges compare numbers with numbers only, ordered by the compared field as in Firestore', async () => {
        expect(ids(await docs.query(col, { where: [['score', '>', 0.6]] }))).toEqual(['r3', 'r1']);
        expect(ids(await docs.query(col, { where: [['score', '>=', 0.75]] }))).toEqual(['r3', 'r1']);
        expect(ids(await docs.query(col, { where: [['score', '<', 0.75]] }))).toEqual(['r2']);
        expect(ids(await docs.query(col, { where: [['score', '<=', 0.75]] }))).toEqual(['r2', 'r3']);
        expect(ids(await docs.query(col, { where: [['score', '==', '0.99']] }))).toEqual(['r5']);
      });

      test('in, and dotted fields', async () => {
        expect(ids(await docs.query(col, { where: [['state', 'in', ['running', 'queued']]] }))).toEqual(['r3', 'r4', 'r5']);
        expect(ids(await docs.query(col, { where: [['meta.stage', '==', 'train']] }))).toEqual(['r2']);
      });

      test('orderBy sorts, leaves out documents without the field, and limit cuts', async () => {
        const byScore = await docs.query(col, { where: [['model', '==', 'iris']], orderBy: [['attempt', 'desc']] });
        expect(ids(byScore)).toEqual(['r4', 'r2', 'r5', 'r1']);
        const numeric = await docs.query(col, { where: [['score', '>', 0]], orderBy: [['score', 'asc']], limit: 2 });
        expect(ids(numeric)).toEqual(['r2', 'r3']);
        const withStage = await docs.query(col, { orderBy: [['meta.stage', 'asc']] });
        expect(ids(withStage)).toEqual(['r1', 'r2']);
        expect(ids(await docs.query(col, { orderBy: [['attempt', 'asc']], limit: 3 }))).toEqual(['r1', 'r3', 'r5']);
      });

      test('an inequality orders by its field after the explicit order, and != skips null and missing fields', async () => {
        await docs.set(col, 'n1', { model: 'iris', state: null, attempt: 9 });
        expect(ids(await docs.query(col, { where: [['state', '!=', 'running']] }))).toEqual(['r2', 'r5', 'r1']);
        const byAttempt = await docs.query(col, { where: [['score', '>', 0.4]], orderBy: [['attempt', 'desc']] });
        expect(ids(byAttempt)).toEqual(['r2', 'r1', 'r3']);
      });

      test('startAfter pages by the ordered fields, then by id, and later inserts do not shift the pages', async () => {
        await docs.set(col, 't1', { at: '2026-01-01', model: 'm' });
        await docs.set(col, 't3', { at: '2026-01-02', model: 'm' });
        await docs.set(col, 't2', { at: '2026-01-02', model: 'm' });
        await docs.set(col, 't4', { at: '2026-01-03', model: 'm' });
        const newest = { where: [['model', '==', 'm']] as Array<[string, '==', unknown]>, orderBy: [['at', 'desc']] as Array<[string, 'desc']>, limit: 2 };
        const first = await docs.query(col, newest);
        expect(ids(first)).toEqual(['t4', 't3']);
        await docs.set(col, 't5', { at: '2026-01-04', model: 'm' });
        const second = await docs.query(col, { ...newest, startAfter: { values: ['2026-01-02'], id: 't3' } });
        expect(ids(second)).toEqual(['t2', 't1']);
        expect(ids(await docs.query(col, { ...newest, startAfter: { values: ['2026-01-01'], id: 't1' } }))).toEqual([]);
        const oldest = await docs.query(col, { where: [['model', '==', 'm']], orderBy: [['at', 'asc']], startAfter: { values: ['2026-01-02'], id: 't2' } });
        expect(ids(oldest)).toEqual(['t3', 't4', 't5']);
        const numeric = await docs.query(col, { where: [['model', '==', 'iris']], orderBy: [['attempt', 'asc']], startAfter: { values: [1], id: 'r1' } });
        expect(ids(numeric)).toEqual(['r5', 'r2', 'r4']);
      });

      test('booleans and null match only themselves', async () => {
        await docs.set(col, 'b1', { flag: true, note: null });
        await docs.set(col, 'b2', { flag: 1, note: 'x' });
        expect(ids(await docs.query(col, { where: [['flag', '==', true]] }))).toEqual(['b1']);
        expect(ids(await docs.query(col, { where: [['flag', '==', 1]] }))).toEqual(['b2']);
        expect(ids(await docs.query(col, { where: [['note', '==', null]] }))).toEqual(['b1']);
      });
    });

    describe('transactions', () => {
      test('reads then writes, and returns the callback result', async () => {
        await docs.set(col, 'src', { n: 5 });
        const result = await docs.runTransaction(async (tx) => {
          const src = await tx.get<{ n: number }>(col, 'src');
          tx.set(col, 'dst', { n: src!.n * 2 });
          tx.update(col, 'src', { moved: true });
          return src!.n;
        });
        expect(result).toBe(5);
        expect(await docs.get(col, 'dst')).toEqual({ n: 10 });
        expect(await docs.get(col, 'src')).toEqual({ n: 5, moved: true });
      });

      test('concurrent increments all count', async () => {
        await docs.set(col, 'counter', { n: 0 });
        await Promise.all(
          Array.from({ length: 20 }, () =>
            docs.runTransaction(async (tx) => {
              const doc = await tx.get<{ n: number }>(col, 'counter');
              tx.set(col, 'counter', { n: doc!.n + 1 });
            }),
          ),
        );
        expect(await docs.get(col, 'counter')).toEqual({ n: 20 });
      });

      test('a document read as missing is created by one transaction only', async () => {
        const made = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            docs.runTransaction(async (tx) => {
              if (await tx.get(col, 'lock')) return false;
              tx.set(col, 'lock', { holder: i });
              return true;
            }),
          ),
        );
        expect(made.filter(Boolean)).toHaveLength(1);
        expect(await docs.get(col, 'lock')).toEqual({ holder: made.indexOf(true) });
      });

      test('a query read in a transaction guards against new matches', async () => {
        // Each caller starts a run only if none is running: the limit must hold under concurrency.
        const started = await Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            docs.runTransaction(async (tx) => {
              const running = await tx.query(col, { where: [['state', '==', 'running']] });
              if (running.length >= 1) return false;
              tx.set(col, `run-${i}`, { state: 'running' });
              return true;
            }),
          ),
        );
        expect(started.filter(Boolean)).toHaveLength(1);
        expect(await docs.query(col, { where: [['state', '==', 'running']] })).toHaveLength(1);
      });

      test('create on an existing document fails with already_exists and writes nothing', async () => {
        await docs.set(col, 'taken', { v: 1 });
        let calls = 0;
        await expectCode(
          docs.runTransaction(async (tx) => {
            calls++;
            tx.set(col, 'side-effect', { v: 1 });
            tx.create(col, 'taken', { v: 2 });
          }),
          'already_exists',
        );
        expect(calls).toBe(1);
        expect(await docs.get(col, 'taken')).toEqual({ v: 1 });
        expect(await docs.get(col, 'side-effect')).toBeNull();
      });

      test('a callback that throws writes nothing and its error comes out', async () => {
        await expect(
          docs.runTransaction(async (tx) => {
            tx.set(col, 'never', { v: 1 });
            throw new Error('changed my mind');
          }),
        ).rejects.toThrow('changed my mind');
        expect(await docs.get(col, 'never')).toBeNull();
      });

      test('update inside a transaction merges and needs the document', async () => {
        await docs.set(col, 'u', { a: 1 });
        await docs.runTransaction(async (tx) => {
          tx.update(col, 'u', { b: 2 });
        });
        expect(await docs.get(col, 'u')).toEqual({ a: 1, b: 2 });
        await expectCode(
          docs.runTransaction(async (tx) => {
            tx.update(col, 'nope', { b: 2 });
          }),
          'not_found',
        );
      });

      test('reads after writes are refused', async () => {
        await expect(
          docs.runTransaction(async (tx) => {
            tx.set(col, 'w', { v: 1 });
            await tx.get(col, 'w');
          }),
        ).rejects.toThrow(/read/i);
        expect(await docs.get(col, 'w')).toBeNull();
      });
    });
  });
}
