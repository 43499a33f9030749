import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatasetDoc, ModelVersionDoc, RunDoc } from '../../../../shared/pipeline/store/documents';
import { storeOver, type Store } from '../../../../shared/pipeline/store';
import { LocalDocumentStore } from '../../../../shared/platform/local/document_store';
import { openDatabase, type Db } from '../../../../shared/platform/local/sqlite';

/** The store over the local document store: SQLite in a fresh folder. */
export interface LocalStore {
  store: Store;
  docs: LocalDocumentStore;
  /** The same database through another handle, as another process (another dispatcher) has it. */
  another(): Store;
  cleanup(): void;
}

export function localStore(): LocalStore {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-store-'));
  const handles: Db[] = [];
  const open = () => {
    const db = openDatabase(home);
    handles.push(db);
    return new LocalDocumentStore(db);
  };
  const docs = open();
  return {
    store: storeOver(docs),
    docs,
    another: () => storeOver(open()),
    cleanup: () => {
      for (const db of handles) if (db.open) db.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();

export function runDoc(id: string, minute: number, fields: Partial<RunDoc> = {}): RunDoc {
  return {
    id,
    model: 'fraud',
    model_version: `v${minute}`,
    dataset_version: 'd1',
    request_id: `req-${id}`,
    reason: 'upload',
    status: 'queued',
    attempt: 0,
    max_attempts: 3,
    execution_id: null,
    executions: [],
    created_at: at(minute),
    ...fields,
  };
}

export function datasetDoc(version: string, minute: number, fields: Partial<DatasetDoc> = {}): DatasetDoc {
  return {
    model: 'fraud',
    version,
    status: 'accepted',
    object: { bucket: 'data', name: `datasets/fraud/${version}.csv`, generation: '1', md5Hash: 'x', size: 1 },
    created_at: at(minute),
    ...fields,
  };
}

export function versionDoc(model: string, version: string, minute: number, fields: Partial<ModelVersionDoc> = {}): ModelVersionDoc {
  return {
    model,
    version,
    stage: 'candidate',
    run_id: `run-${model}-${version}`,
    dataset_version: 'd1',
    artifacts_prefix: `models/${model}/${version}/`,
    metrics: { auc: 0.9 },
    decision_id: `dec-${model}-${version}`,
    created_at: at(minute),
    ...fields,
  };
}
