import type { DocumentStore, Transaction } from '../../platform/ports';
import { collection, txCollection } from './collection';
import { COLLECTIONS, type RunDoc } from './documents';

/** Training runs, by run id (`runIdFor(request id)`). */
export function runsOver(docs: DocumentStore) {
  const runs = collection<RunDoc>(docs, COLLECTIONS.runs);
  return {
    get: runs.get,
    update: runs.update,
    /** All runs, or one model's, oldest first. */
    list: (filter: { model?: string } = {}) =>
      filter.model
        ? runs.query({ where: [['model', '==', filter.model]], orderBy: [['created_at', 'asc']] })
        : runs.query({ orderBy: [['created_at', 'asc']] }),
    /**
     * Newest first (then by id), all runs or one model's, from after a cursor: what a paged listing
     * scans. The cursor is the last run seen, so runs created meanwhile never shift the pages.
     */
    newestFirst: (filter: { model?: string; after?: { created_at: string; id: string }; limit: number }) => {
      const startAfter = filter.after && { values: [filter.after.created_at], id: filter.after.id };
      return filter.model
        ? runs.query({ where: [['model', '==', filter.model]], orderBy: [['created_at', 'desc']], startAfter, limit: filter.limit })
        : runs.query({ orderBy: [['created_at', 'desc']], startAfter, limit: filter.limit });
    },
    /** The runs whose job should be alive, in no particular order. */
    running: () => runs.query({ where: [['status', '==', 'running']] }),
    oldestQueued: async (): Promise<RunDoc | null> =>
      (await runs.query({ where: [['status', '==', 'queued']], orderBy: [['created_at', 'asc']], limit: 1 }))[0] ?? null,
    /**
     * Takes the oldest queued run for a new attempt, unless `maxRunning` runs already run. Counting and
     * claiming are one transaction, so two dispatchers cannot both take the last slot. The claimed run
     * has no execution yet: the caller launches it, then records the execution.
     */
    claimNext: (maxRunning: number, now: Date): Promise<RunDoc | null> =>
      docs.runTransaction(async (tx) => {
        const inTx = txCollection<RunDoc>(tx, COLLECTIONS.runs);
        const running = await inTx.query({ where: [['status', '==', 'running']] });
        if (running.length >= maxRunning) return null;
        const [run] = await inTx.query({ where: [['status', '==', 'queued']], orderBy: [['created_at', 'asc']], limit: 1 });
        if (!run) return null;
        const patch = { status: 'running', attempt: run.attempt + 1, execution_id: null, claimed_at: now.toISOString(), progress: null, error: null } satisfies Partial<RunDoc>;
        inTx.update(run.id, patch);
        return { ...run, ...patch };
      }),
  };
}

export function runsIn(tx: Transaction) {
  const runs = txCollection<RunDoc>(tx, COLLECTIONS.runs);
  return {
    get: runs.get,
    update: runs.update,
    /** Fails the transaction with `already_exists` if a run has this id. */
    create: (run: RunDoc) => runs.create(run.id, run),
  };
}

export type Runs = ReturnType<typeof runsOver>;
export type TxRuns = ReturnType<typeof runsIn>;
