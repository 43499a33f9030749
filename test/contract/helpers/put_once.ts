// A second process racing to create the same object: prints "won" or "lost <code>".
import { MloopError } from '../../../shared/core/errors';
import { LocalObjectStore } from '../../../shared/platform/local/object_store';
import { openDatabase } from '../../../shared/platform/local/sqlite';

async function main(): Promise<void> {
  const [home, root, bucket, name, content, startAt] = process.argv.slice(2);
  const db = openDatabase(home);
  const store = new LocalObjectStore(db, root);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
  try {
    await store.put(bucket, name, content, { ifGenerationMatch: '0' });
    console.log('won');
  } catch (err) {
    console.log(`lost ${err instanceof MloopError ? err.code : String(err)}`);
  } finally {
    db.close();
  }
}

void main();
