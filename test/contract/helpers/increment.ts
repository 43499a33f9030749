// A second process incrementing a shared counter in transactions: prints "done" at the end.
import { LocalDocumentStore } from '../../../shared/platform/local/document_store';
import { openDatabase } from '../../../shared/platform/local/sqlite';

async function main(): Promise<void> {
  const [home, collection, count, startAt] = process.argv.slice(2);
  const db = openDatabase(home);
  const docs = new LocalDocumentStore(db);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
  for (let i = 0; i < Number(count); i++) {
    await docs.runTransaction(async (tx) => {
      const doc = await tx.get<{ n: number }>(collection, 'counter');
      tx.set(collection, 'counter', { n: (doc?.n ?? 0) + 1 });
    });
  }
  db.close();
  console.log('done');
}

void main();
